/**
 * The agent's NATS face: a NATS service named `webrtc-agent` (discoverable
 * through $SRV.PING/INFO/STATS) whose id is the agent id, with the agent API
 * as endpoints, plus one subscription per node for the node API.
 *
 * Every request is validated before it touches the node manager; every
 * failure answers with a service error code; nothing is dropped silently.
 */
import type { Msg, NatsConnection, Service, ServiceConfig, Subscription } from 'nats';
// ServiceImpl is used directly to give the service the agent id as its id (the
// public factory always draws a random one, and controllers look agents up by id).
import { ServiceImpl } from 'nats/lib/nats-base-client/service';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { NotFoundError, toErrorShape } from '../errors';
import type { NodeManager } from '../pool/NodeManager';
import { parseJson, parsePayload } from '../util/validate';
import type { LogLevels } from '../LogLevels';
import { drainSchema, getNodeSchema, listNodesSchema, queryNodeSchema, recycleNodeSchema, setLogLevelSchema } from './schemas';
import { replyError, replyValue } from './reply';
import { SERVICE_NAME, type AgentMethod, type Subjects } from './subjects';
import type { NodeApi } from '../pool/NodeApi';

export interface AgentServiceOptions {
  nc: NatsConnection;
  nodes: NodeManager;
  /** The node API chain's first stage (slots, then media between agents and across nodes). */
  nodeApi: NodeApi;
  subjects: Subjects;
  agentId: string;
  cluster: string;
  version: string;
  /** Takes the agent out of service (Agent.drain). */
  drain: (reason?: string, timeoutMs?: number) => Promise<unknown>;
  /** The main thread's log modules (setLogLevel). */
  logLevels: LogLevels;
  log: Logger;
  /** Called once per request answered: method (`getNode`, `node.<method>`), code (200 or the error code), seconds. */
  onRequest?: (method: string, code: number, seconds: number) => void;
  /** The `data` of each endpoint in `$SRV.STATS` (a summary of the agent). */
  statsData?: () => Promise<unknown>;
}

/** How long a gone node's subject keeps answering 404 before it is released. */
const GONE_NODE_LINGER_MS = 30_000;

export class AgentService {
  readonly #o: AgentServiceOptions;
  #service: Service | undefined;
  readonly #nodeSubs = new Map<string, Subscription>();
  readonly #gone = new Map<string, NodeJS.Timeout>();
  #stopped = false;
  readonly #onReady = (id: string) => this.#serveNode(id);
  readonly #onGone = (id: string) => this.#retireNode(id);

  private constructor(o: AgentServiceOptions) {
    this.#o = o;
  }

  static async start(o: AgentServiceOptions): Promise<AgentService> {
    const s = new AgentService(o);
    await s.#start();
    return s;
  }

  get serviceId(): string | undefined {
    return this.#service?.info().id;
  }

  async #start(): Promise<void> {
    const { nc, agentId, cluster, version, subjects, nodes } = this.#o;
    const config: ServiceConfig = {
      name: SERVICE_NAME,
      version,
      description: 'WebRTC media agent (SFU worker)',
      metadata: { cluster, purpose: 'webrtc', agentId, version },
      ...(this.#o.statsData ? { statsHandler: this.#o.statsData } : {}),
    };
    const impl = new ServiceImpl(nc, config);
    impl._id = agentId;
    this.#service = await impl.start();

    const group = this.#service.addGroup(subjects.agentGroup());
    this.#endpoint(group, 'getNode', getNodeSchema, async (p) => ({ nodeId: await nodes.getNode(p.room, p.task) }));
    this.#endpoint(group, 'recycleNode', recycleNodeSchema, async (p) => {
      await nodes.recycleNode(p.nodeId, p.room, p.task);
      return { ok: true };
    });
    this.#endpoint(group, 'queryNode', queryNodeSchema, (p) => ({ nodeId: nodes.queryNode(p.room) }));
    this.#endpoint(group, 'listNodes', listNodesSchema, () => ({ agentId, nodes: nodes.nodes() }));
    this.#endpoint(group, 'drain', drainSchema, (p) => this.#o.drain(p.reason, p.timeoutMs));
    // Without a level: reads. A module: that module; `node` with a nodeId: that node thread.
    this.#endpoint(group, 'setLogLevel', setLogLevelSchema, async (p) => {
      const { logLevels } = this.#o;
      if (p.level !== undefined) {
        if (p.module === undefined || p.module === 'node') await nodes.setLogLevel(p.level, p.nodeId);
        if (p.module !== 'node') logLevels.set(p.level, p.module);
      }
      return { modules: { ...logLevels.levels(), node: nodes.logLevel }, nodes: nodes.logLevels() };
    });

    for (const n of nodes.nodes()) if (n.state === 'ready') this.#serveNode(n.id);
    nodes.on('nodeReady', this.#onReady);
    nodes.on('nodeGone', this.#onGone);
  }

  #endpoint<S extends z.ZodType>(
    group: ReturnType<Service['addGroup']>,
    name: AgentMethod,
    schema: S,
    handler: (payload: z.infer<S>) => unknown | Promise<unknown>,
  ): void {
    group.addEndpoint(name, {
      metadata: { method: name },
      handler: (err, msg) => {
        if (err) {
          this.#o.log.error({ err: err.message, endpoint: name }, 'endpoint failed');
          return;
        }
        void this.#answer(msg, async () => handler(parsePayload(schema, parseJson(msg.data))), name);
      },
    });
  }

  async #answer(msg: Msg, work: () => Promise<unknown>, what: string): Promise<void> {
    const started = performance.now();
    let code = 200;
    try {
      replyValue(msg, await work());
    } catch (err) {
      this.#o.log.debug({ what, err: (err as Error).message }, 'request failed');
      code = toErrorShape(err).code;
      // A method name that names nothing must not become a metrics label.
      if (code === 404 && /^no such node method/.test((err as Error).message)) what = 'node.unknown';
      replyError(msg, err);
    }
    this.#o.onRequest?.(what, code, (performance.now() - started) / 1000);
  }

  #serveNode(nodeId: string): void {
    if (this.#stopped || this.#nodeSubs.has(nodeId)) return;
    const { nc, subjects, nodeApi } = this.#o;
    const prefixLen = subjects.node(nodeId, '').length;
    const sub = nc.subscribe(subjects.nodeAll(nodeId), {
      callback: (err, msg) => {
        if (err) return;
        const method = msg.subject.slice(prefixLen);
        void this.#answer(
          msg,
          async () => {
            if (this.#gone.has(nodeId)) throw new NotFoundError(`node ${nodeId} is gone`);
            return nodeApi.call(nodeId, method, parseJson(msg.data));
          },
          `node.${method}`,
        );
      },
    });
    this.#nodeSubs.set(nodeId, sub);
  }

  #retireNode(nodeId: string): void {
    if (!this.#nodeSubs.has(nodeId) || this.#gone.has(nodeId)) return;
    const t = setTimeout(() => {
      this.#gone.delete(nodeId);
      this.#nodeSubs.get(nodeId)?.unsubscribe();
      this.#nodeSubs.delete(nodeId);
    }, GONE_NODE_LINGER_MS);
    t.unref();
    this.#gone.set(nodeId, t);
  }

  /** Stops taking requests: the service and every node subscription end. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#o.nodes.off('nodeReady', this.#onReady);
    this.#o.nodes.off('nodeGone', this.#onGone);
    for (const t of this.#gone.values()) clearTimeout(t);
    this.#gone.clear();
    for (const sub of this.#nodeSubs.values()) sub.unsubscribe();
    this.#nodeSubs.clear();
    await this.#service?.stop().catch(() => undefined);
  }
}
