/**
 * One stage of the node API chain. A "call" is one node API request (a
 * method and its payload, for one node) on its way from NATS to the node's
 * thread; every stage takes it with this one signature, does its part and
 * passes it on: AgentService -> SlotManager (speaker slots) -> AgentBridge
 * (media between agents) -> LinkManager (tracks across node threads) ->
 * NodeManager (the node by id) -> WorkerNode (validated once, a task to the
 * thread). docs/architecture.md, "Words".
 */
export interface NodeApi {
  call(nodeId: string, method: string, args: unknown): Promise<unknown>;
}
