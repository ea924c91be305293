/**
 * Every NATS subject the agent uses, in one place (docs/api.md lists them).
 * Agent and node ids are single subject tokens: [A-Za-z0-9_-].
 *
 *   <prefix>.agent.<agentId>.<method>   agent API (service endpoints)
 *   <prefix>.node.<nodeId>.<method>     node API, served inside the node thread
 *   <prefix>.event.<agentId>.<event>    events the agent publishes
 *   <prefix>.controller.<controller>.<event>   events for one controller
 *   <prefix>.internal.<ip-with-dashes>-<port>.<method>   media between agents
 */
export const SERVICE_NAME = 'webrtc-agent';
export const AGENT_METHODS = ['getNode', 'recycleNode', 'queryNode', 'listNodes', 'drain', 'setLogLevel'] as const;
export type AgentMethod = (typeof AGENT_METHODS)[number];

export class Subjects {
  readonly prefix: string;
  readonly agentId: string;

  constructor(prefix: string, agentId: string) {
    this.prefix = prefix;
    this.agentId = agentId;
  }

  agentGroup(): string {
    return `${this.prefix}.agent.${this.agentId}`;
  }

  agent(method: AgentMethod, agentId = this.agentId): string {
    return `${this.prefix}.agent.${agentId}.${method}`;
  }

  node(nodeId: string, method: string): string {
    return `${this.prefix}.node.${nodeId}.${method}`;
  }

  /** All methods of one node (a subscription per node). */
  nodeAll(nodeId: string): string {
    return `${this.prefix}.node.${nodeId}.*`;
  }

  event(name: 'abnormal' | 'quit' | 'ready' | 'draining', agentId = this.agentId): string {
    return `${this.prefix}.event.${agentId}.${name}`;
  }

  /** Events a node raises for one controller (OWT's rpc to the controller). */
  controller(controller: string, event: string): string {
    return `${this.prefix}.controller.${controller}.${event}`;
  }

  /**
   * Media between agents: the methods a node's internal address answers
   * (served by the agent holding that node). Subject tokens cannot hold dots,
   * so 10.0.0.5:40002 becomes `10-0-0-5-40002`.
   */
  internal(ip: string, port: number, method: string): string {
    return `${this.prefix}.internal.${ip.replace(/\./g, '-')}-${port}.${method}`;
  }

  internalAll(ip: string, port: number): string {
    return this.internal(ip, port, '*');
  }

  /** All events of all agents, for a controller to watch. */
  allEvents(): string {
    return `${this.prefix}.event.>`;
  }
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}
