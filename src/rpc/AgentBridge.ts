/**
 * AgentBridge: media between agents (the "bridge"; docs/architecture.md,
 * "Words"). Where the LinkManager links node threads of one agent through
 * rings, this class bridges a node of this agent and a node of another agent
 * through their internal ports (plain RTP/RTCP over UDP, one port per node
 * thread), with the control over NATS (linkup/cutoff, exportTrack).
 *
 * Pull model. `linkup` on the subscriber's agent (B) names each source by
 * its track id and the internal address (ip, port) of the node holding it,
 * as that node's getInternalAddress gave it. A track this agent knows (on
 * any of its nodes) is reached through the agent itself. Otherwise B asks
 * the address's subject, `<prefix>.internal.<ip-with-dashes>-<port>.exportTrack`,
 * which the agent holding that node (A) serves: A sends the track to B's
 * node's internal address under an SSRC B chose, and replies with the
 * track's kind, clock rate and format (incl. its owner). B then publishes a
 * stand-in track fed by its internal port and subscribes to it; other nodes
 * of B reach the stand-in through rings, as any local track.
 *
 * Feedback: PLI/FIR and NACKs from B's subscribers go back as RTCP on the
 * same UDP path and are acted on by A's router (key frames merged per track;
 * NACKs answered from the export's send buffer).
 *
 * Ends: cutoff ends the subscriptions and, once nothing in B reads the
 * stand-in, the stand-in and A's export (`unexportTrack`). A source that goes
 * on A (unpublished, its transport or node gone) is announced to B with
 * `sourceGone`, which ends the stand-in and its subscriptions like an
 * unpublish. An agent lost without a word (kill -9): every agent pings the
 * addresses it exchanges media with every agent.internalKeepaliveMs; "no
 * responders" (or two unanswered pings) ends everything bridged with that address.
 * Every request to another agent is bounded by agent.internalRpcTimeoutMs.
 */
import { randomInt } from 'node:crypto';
import { ErrorCode, JSONCodec, ServiceError, type Msg, type NatsConnection, type NatsError, type Subscription } from 'nats';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { ConflictError, fromErrorShape, InvalidRequestError, NotFoundError, TimeoutError, UnavailableError, type ErrorCode as Code } from '../errors';
import { replyError, replyValue } from './reply';
import type { Subjects } from './subjects';
import { parseJson, parseOnce, parsePayload } from '../util/validate';
import type { NodeApi } from '../pool/NodeApi';
import type { LinkManager } from '../pool/LinkManager';
import type { RemoteSource, TrackEntry } from '../pool/TrackRegistry';
import {
  cutoffSchema,
  exportTrackReply,
  exportTrackSchema,
  linkupSchema,
  pingSchema,
  sourceGoneSchema,
  SRTP_PROFILE,
  unexportTrackSchema,
  type ExportTrackReply,
} from './bridgeSchemas';
import type { NodeManager } from '../pool/NodeManager';
import { subscribeSchema } from '../node/webrtc/schemas';
import { codec } from '../node/media/schemas';

/** Node methods this class serves for every node (docs/api.md documents them). */
export const REMOTE_NODE_METHODS = ['linkup', 'cutoff'] as const;

const json = JSONCodec();
const KINDS = ['audio', 'video'] as const;

interface Address {
  ip: string;
  port: number;
}

/** A track of ours sent to another agent's node (we hold the source). */
interface Export extends Address {
  exportId: string;
  nodeId: string;
  trackId: string;
  ssrc: number;
}

/** A stand-in on one of our nodes for a track held by another agent: its entry in the LinkManager's TrackRegistry. */
type Import = TrackEntry & { remote: RemoteSource };

interface LinkupPart {
  kind: 'audio' | 'video';
  trackId: string;
  routerSub: string;
}

/**
 * Who may ask for an export, and where to: the cluster's membership
 * (Cluster.memberAddress). Without one (cluster.enabled false) no export is
 * made: the internal subject would otherwise stream a track to any address
 * for anyone on the bus.
 */
export interface ExportGate {
  memberAddress(agentId: string, ip: string, port: number): Promise<'ok' | 'not-member' | 'foreign-address'>;
  /** Our own entry lists this internal address before we ask another agent for media to it. */
  ensureListed(address: string): Promise<void>;
}

export interface RemoteLinksOptions {
  nc: NatsConnection;
  subjects: Subjects;
  nodes: NodeManager;
  links: LinkManager;
  agentId: string;
  rpcTimeoutMs: number;
  keepaliveMs: number;
  /** SRTP on the internal transport (agent.internalSrtp); the same on every agent. */
  srtp: boolean;
  /** Exports one node sends to other agents at most (agent.maxExportsPerNode). */
  maxExportsPerNode: number;
  log: Logger;
}

export class AgentBridge implements NodeApi {
  readonly #o: RemoteLinksOptions;
  /** nodeId -> its internal address and the subscription serving it. */
  readonly #served = new Map<string, Promise<Address & { sub?: Subscription }>>();
  readonly #exports = new Map<string, Export>();
  readonly #pendingImports = new Map<string, Promise<void>>();
  /** `${nodeId}|${subscriptionId}` -> the router subscriptions it made. */
  readonly #linkups = new Map<string, LinkupPart[]>();
  /** `${nodeId}|${subscriptionId}` -> the transport it leaves by (its end ends the linkup). */
  readonly #linkupTransports = new Map<string, string>();
  /** `${ip}:${port}` -> unanswered pings in a row. */
  readonly #misses = new Map<string, number>();
  /** nodeId -> `ip:port` of its internal address, once known (published in the cluster entry). */
  readonly #addresses = new Map<string, string>();
  #gate: ExportGate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #stopped = false;
  readonly #onReady = (id: string) => void this.#serve(id).catch((err: Error) => this.#o.log.warn({ err: err.message, nodeId: id }, 'serving the internal address failed'));
  readonly #onGone = (id: string) => this.#unserve(id);

  constructor(o: RemoteLinksOptions) {
    this.#o = o;
    o.links.onForget((nodeId, trackId, entry) => this.#onForget(nodeId, trackId, entry));
  }

  /** The cluster's membership, once joined: exports are answered from then on, to members only. */
  setGate(gate: ExportGate): void {
    this.#gate = gate;
  }

  /** `ip:port` of every served node's internal address (for this agent's cluster entry). */
  addresses(): string[] {
    return [...this.#addresses.values()];
  }

  start(): void {
    const { nodes } = this.#o;
    for (const n of nodes.nodes()) if (n.state === 'ready') this.#onReady(n.id);
    nodes.on('nodeReady', this.#onReady);
    nodes.on('nodeGone', this.#onGone);
    this.#timer = setInterval(() => void this.#keepalive(), this.#o.keepaliveMs);
    this.#timer.unref();
  }

  /** Stops serving; tells every agent we exchange media with (best effort, not awaited by them). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const { nodes, nc } = this.#o;
    nodes.off('nodeReady', this.#onReady);
    nodes.off('nodeGone', this.#onGone);
    if (this.#timer) clearInterval(this.#timer);
    if (!nc.isClosed()) {
      for (const e of this.#exports.values()) this.#publish(e, 'sourceGone', { trackId: e.trackId, ssrc: e.ssrc });
      for (const i of this.#o.links.remoteImports()) if (!i.remote.gone) this.#publish(i.remote, 'unexportTrack', { exportId: i.remote.exportId });
    }
    for (const p of this.#served.values()) (await p.catch(() => undefined))?.sub?.unsubscribe();
    this.#served.clear();
  }

  /** The node API path: linkup and cutoff here, everything else to the LinkManager. */
  async call(nodeId: string, method: string, args: unknown): Promise<unknown> {
    switch (method) {
      case 'linkup': return this.#linkup(nodeId, args);
      case 'cutoff': return this.#cutoff(nodeId, args);
      case 'subscribe': return this.#subscribe(nodeId, args);
      case 'unsubscribe':
      case 'unsubscribeTrack':
      case 'destroyTransport': {
        const reply = await this.#o.links.call(nodeId, method, args);
        // Linkups leaving by that transport ended with it (their subscriptions were on it).
        if (method === 'destroyTransport') {
          const transportId = (args as { transportId?: unknown }).transportId;
          for (const [key, tid] of [...this.#linkupTransports]) {
            if (tid !== transportId || !key.startsWith(`${nodeId}|`)) continue;
            this.#linkupTransports.delete(key);
            this.#linkups.delete(key);
          }
        }
        // A stand-in this node no longer reads ends (and its source is told).
        for (const imp of this.#o.links.remoteImports()) if (imp.nodeId === nodeId) await this.#release(imp.id);
        return reply;
      }
      default: return this.#o.links.call(nodeId, method, args);
    }
  }

  /**
   * A WebRTC subscribe whose `tracks[].source` names another agent's node:
   * the track is brought in first (its format with it), so the subscriber's
   * offer is answered with it; then the subscribe goes on as for a local track.
   */
  async #subscribe(nodeId: string, args: unknown): Promise<unknown> {
    const p = parseOnce(subscribeSchema, args ?? {});
    const brought: string[] = [];
    try {
      for (const [i, tr] of p.options.tracks.entries()) {
        if (!tr.source || this.#o.links.describe(tr.from)) continue;
        await this.#ensureImport(nodeId, `options.tracks.${i}.from`, { id: tr.from, ...tr.source });
        brought.push(tr.from);
        const d = this.#o.links.describe(tr.from);
        if (d && d.kind !== tr.type) throw new InvalidRequestError(`options.tracks.${i}.type`, `${tr.from} is a ${d.kind} track`);
      }
      return await this.#o.links.call(nodeId, 'subscribe', p);
    } catch (err) {
      for (const trackId of brought) await this.#release(trackId);
      throw err;
    }
  }

  // --- serving our nodes' internal addresses ---

  #serve(nodeId: string): Promise<Address & { sub?: Subscription }> {
    let p = this.#served.get(nodeId);
    if (p) return p;
    p = (async () => {
      const addr = (await this.#o.nodes.call(nodeId, 'getInternalAddress', {})) as Address;
      if (this.#stopped || !this.#served.has(nodeId)) return addr;
      this.#addresses.set(nodeId, `${addr.ip}:${addr.port}`);
      const sub = this.#o.nc.subscribe(this.#o.subjects.internalAll(addr.ip, addr.port), {
        callback: (err, msg) => {
          if (!err) void this.#answer(nodeId, msg);
        },
      });
      return { ...addr, sub };
    })();
    this.#served.set(nodeId, p);
    p.catch(() => this.#served.delete(nodeId));
    return p;
  }

  #unserve(nodeId: string): void {
    for (const key of [...this.#linkups.keys()]) {
      if (!key.startsWith(`${nodeId}|`)) continue;
      this.#linkups.delete(key);
      this.#linkupTransports.delete(key);
    }
    const p = this.#served.get(nodeId);
    this.#served.delete(nodeId);
    this.#addresses.delete(nodeId);
    void p?.then((s) => s.sub?.unsubscribe()).catch(() => undefined);
  }

  async #addressOf(nodeId: string): Promise<Address> {
    const p = this.#served.get(nodeId);
    if (!p) throw new NotFoundError(`no such node: ${nodeId}`);
    const { ip, port } = await p;
    return { ip, port };
  }

  async #answer(nodeId: string, msg: Msg): Promise<void> {
    const method = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    try {
      const args = parseJson(msg.data);
      let value: unknown;
      switch (method) {
        case 'exportTrack': value = await this.#exportTrack(nodeId, parsePayload(exportTrackSchema, args)); break;
        case 'unexportTrack': value = await this.#unexportTrack(nodeId, parsePayload(unexportTrackSchema, args)); break;
        case 'sourceGone': value = await this.#sourceGone(nodeId, parsePayload(sourceGoneSchema, args)); break;
        case 'ping': parsePayload(pingSchema, args); value = { ok: true, agentId: this.#o.agentId }; break;
        default: throw new NotFoundError(`no such internal method: ${method}`);
      }
      replyValue(msg, value);
    } catch (err) {
      replyError(msg, err);
    }
  }

  // --- the source side (A) ---

  async #exportTrack(nodeId: string, p: z.infer<typeof exportTrackSchema>): Promise<ExportTrackReply> {
    // Only a live member of the cluster, and only to one of its nodes' internal addresses.
    const gate = this.#gate;
    if (!gate) throw new UnavailableError('exports answer only live members of the cluster, and this agent is in none (cluster.enabled is false)');
    const verdict = await gate.memberAddress(p.agentId, p.ip, p.port);
    if (verdict === 'not-member') throw new InvalidRequestError('agentId', `${p.agentId} is not a live member of the cluster`);
    if (verdict === 'foreign-address') throw new InvalidRequestError('ip', `${p.ip}:${p.port} is not an internal address of agent ${p.agentId}`);
    const d = this.#o.links.describe(p.trackId);
    if (!d || d.nodeId !== nodeId) throw new NotFoundError(`trackId: no track ${p.trackId} on the node at this address`);
    if (this.#o.srtp !== (p.srtp !== undefined)) {
      throw new InvalidRequestError('srtp', this.#o.srtp ? 'this agent sends media to other agents only with SRTP (agent.internalSrtp)' : 'this agent does not use SRTP between agents (agent.internalSrtp)');
    }
    const exportId = `x:${p.ip}:${p.port}:${p.ssrc}`;
    const known = this.#exports.get(exportId);
    if (known && known.trackId !== p.trackId) throw new ConflictError('ssrc', `already used by this address for ${known.trackId}`);
    let key: string | undefined;
    if (known && p.srtp) {
      key = ((await this.#o.nodes.call(nodeId, '_internalKey', { ip: p.ip, port: p.port }, true)) as { key: string }).key;
    }
    if (!known) {
      let held = 0;
      for (const e of this.#exports.values()) if (e.nodeId === nodeId) held++;
      if (held >= this.#o.maxExportsPerNode) {
        throw new UnavailableError(`agent.maxExportsPerNode: the node sends ${held} exports of at most ${this.#o.maxExportsPerNode}`);
      }
      const r = (await this.#o.nodes.call(nodeId, '_exportRemote', { trackId: p.trackId, ip: p.ip, port: p.port, ssrc: p.ssrc, exportId, ...(p.srtp ? { remoteKey: p.srtp.key } : {}) }, true)) as { key?: string };
      key = r.key;
      this.#exports.set(exportId, { exportId, nodeId, trackId: p.trackId, ip: p.ip, port: p.port, ssrc: p.ssrc });
      this.#o.log.debug({ trackId: p.trackId, to: `${p.ip}:${p.port}`, agent: p.agentId }, 'track exported to another agent');
    }
    return { exportId, kind: d.kind, clockRate: d.clockRate, ...(d.format ? { format: d.format } : {}), ...(d.codec && codec.safeParse(d.codec).success ? { codec: d.codec } : {}), ...(key ? { srtp: { profile: SRTP_PROFILE, key } } : {}) };
  }

  async #unexportTrack(nodeId: string, p: z.infer<typeof unexportTrackSchema>): Promise<{ ok: true }> {
    const e = this.#exports.get(p.exportId);
    if (!e || e.nodeId !== nodeId) throw new NotFoundError(`exportId: no such export: ${p.exportId}`);
    this.#exports.delete(p.exportId);
    await this.#o.nodes.call(nodeId, 'unsubscribeTrack', { subscriptionId: p.exportId }).catch(() => undefined);
    return { ok: true };
  }

  // --- the subscriber side (B) ---

  async #linkup(nodeId: string, args: unknown): Promise<unknown> {
    const p = parsePayload(linkupSchema, args ?? {});
    const key = `${nodeId}|${p.subscriptionId}`;
    if (this.#linkups.has(key)) throw new ConflictError('subscriptionId', `already linked up: ${p.subscriptionId}`);
    const parts: LinkupPart[] = [];
    this.#linkups.set(key, parts);
    this.#linkupTransports.set(key, p.transportId);
    const reply: Record<string, unknown> = { ok: true };
    try {
      for (const k of KINDS) {
        const src = p[k];
        if (!src) continue;
        const routerSub = `${p.subscriptionId}-${k}`;
        // Recorded before anything is set up, so a failure below undoes it all.
        parts.push({ kind: k, trackId: src.id, routerSub });
        if (!this.#o.links.describe(src.id)) await this.#ensureImport(nodeId, `${k}.id`, src);
        const d = this.#o.links.describe(src.id);
        if (d && d.kind !== k) throw new InvalidRequestError(`${k}.id`, `${src.id} is a ${d.kind} track`);
        reply[k] = await this.#o.links.call(nodeId, 'subscribeTrack', {
          transportId: p.transportId,
          trackId: src.id,
          subscriptionId: routerSub,
          ...(src.ssrc !== undefined ? { ssrc: src.ssrc } : {}),
          ...(src.payloadType !== undefined ? { payloadType: src.payloadType } : {}),
        });
      }
      return reply;
    } catch (err) {
      this.#linkups.delete(key);
      this.#linkupTransports.delete(key);
      await this.#endParts(nodeId, parts);
      throw err;
    }
  }

  async #cutoff(nodeId: string, args: unknown): Promise<unknown> {
    const p = parsePayload(cutoffSchema, args ?? {});
    const key = `${nodeId}|${p.subscriptionId}`;
    const parts = this.#linkups.get(key);
    if (!parts) throw new NotFoundError(`subscriptionId: no such linkup: ${p.subscriptionId}`);
    this.#linkups.delete(key);
    this.#linkupTransports.delete(key);
    await this.#endParts(nodeId, parts);
    return { ok: true };
  }

  async #endParts(nodeId: string, parts: LinkupPart[]): Promise<void> {
    for (const part of parts) {
      // Already gone when its source went: nothing to end.
      await this.#o.links.call(nodeId, 'unsubscribeTrack', { subscriptionId: part.routerSub }).catch(() => undefined);
      await this.#release(part.trackId);
    }
  }

  /** Ends a stand-in once nothing in this agent reads it; the forget hook then tells its source. */
  async #release(trackId: string): Promise<void> {
    const imp = this.#o.links.remoteImport(trackId);
    if (!imp) return;
    const r = (await this.#o.nodes.call(imp.nodeId, '_isUnused', { trackId }, true).catch(() => ({ unused: false }))) as { unused: boolean };
    // Through the ordinary unpublish: the node forgets the track's format, the
    // LinkManager its home, and the forget hook tells the source.
    if (r.unused) await this.#o.links.call(imp.nodeId, 'unpublishTrack', { trackId }).catch(() => undefined);
  }

  /** `field` names the caller's field for the source, in errors. */
  #ensureImport(nodeId: string, field: string, src: { id: string; ip: string; port: number }): Promise<void> {
    let p = this.#pendingImports.get(src.id);
    if (!p) {
      p = this.#doImport(nodeId, field, src).finally(() => this.#pendingImports.delete(src.id));
      this.#pendingImports.set(src.id, p);
    }
    return p;
  }

  async #doImport(nodeId: string, field: string, src: { id: string; ip: string; port: number }): Promise<void> {
    const me = await this.#addressOf(nodeId);
    if (me.ip === src.ip && me.port === src.port) throw new NotFoundError(`${field}: no track ${src.id} on this node`);
    // The source's agent sends only to addresses our cluster entry lists.
    await this.#gate?.ensureListed(`${me.ip}:${me.port}`);
    let ssrc: number;
    const used = new Set(this.#o.links.remoteImports().map((i) => i.remote.ssrc));
    do ssrc = randomInt(1, 0xffffffff); while (used.has(ssrc));
    // With SRTP: our sending key towards that node goes with the request, its key comes back.
    const srtp = this.#o.srtp
      ? { profile: SRTP_PROFILE, key: ((await this.#o.nodes.call(nodeId, '_internalKey', { ip: src.ip, port: src.port }, true)) as { key: string }).key }
      : undefined;
    let reply: ExportTrackReply;
    try {
      reply = parsePayload(
        exportTrackReply,
        await this.#request(src, 'exportTrack', { trackId: src.id, ip: me.ip, port: me.port, ssrc, agentId: this.#o.agentId, ...(srtp ? { srtp } : {}) }),
      );
    } catch (err) {
      // Refused or unserved: the source's agent holds nothing of ours, so the
      // transport (and key) made for that address goes unless something uses
      // it. After a timeout the other side may hold our key: kept.
      if (!(err instanceof TimeoutError)) {
        await this.#o.nodes.call(nodeId, '_dropInternalPeer', { ip: src.ip, port: src.port }, true).catch(() => undefined);
      }
      // Name the field the caller gave: the address or the track is theirs.
      if (err instanceof NotFoundError) throw new NotFoundError(`${field}: ${err.message.replace(/^trackId: /, '')}`);
      throw err;
    }
    try {
      if (this.#o.srtp && !reply.srtp) throw new UnavailableError(`the agent serving ${src.ip}:${src.port} sent no SRTP key`);
      await this.#o.nodes.call(nodeId, '_importRemote', { trackId: src.id, kind: reply.kind, clockRate: reply.clockRate, ip: src.ip, port: src.port, ssrc, ...(reply.codec ? { codec: reply.codec } : {}), ...(reply.srtp ? { remoteKey: reply.srtp.key } : {}) }, true);
      if (reply.format) await this.#o.nodes.call(nodeId, '_setTrackFormat', { trackId: src.id, format: reply.format }, true);
    } catch (err) {
      await this.#o.nodes.call(nodeId, 'unpublishTrack', { trackId: src.id }).catch(() => undefined);
      void this.#request(src, 'unexportTrack', { exportId: reply.exportId }).catch(() => undefined);
      throw err;
    }
    this.#o.links.adopt(src.id, nodeId, reply.kind, reply.clockRate, reply.format, reply.codec, { ip: src.ip, port: src.port, ssrc, exportId: reply.exportId, gone: false });
    this.#o.log.debug({ trackId: src.id, from: `${src.ip}:${src.port}`, nodeId, ssrc }, 'track imported from another agent');
  }

  async #sourceGone(nodeId: string, p: z.infer<typeof sourceGoneSchema>): Promise<{ ok: true }> {
    const imp = this.#o.links.remoteImport(p.trackId);
    if (!imp || imp.nodeId !== nodeId || imp.remote.ssrc !== p.ssrc) throw new NotFoundError(`trackId: no such import: ${p.trackId}`);
    await this.#endImport(imp);
    return { ok: true };
  }

  /** The source of a stand-in is gone: end it like an unpublish (its subscribers are told). */
  async #endImport(imp: Import): Promise<void> {
    const remote = imp.remote;
    remote.gone = true;
    await this.#o.links.call(imp.nodeId, 'unpublishTrack', { trackId: imp.id }).catch(() => undefined);
    // A stand-in already gone from its node (the thread ended) is forgotten here.
    this.#o.links.dropRemote(imp.id, remote);
  }

  /** A track homed on this agent went: tell whoever it was exported to, or release what fed it. */
  #onForget(nodeId: string, trackId: string, entry: TrackEntry): void {
    for (const e of [...this.#exports.values()]) {
      if (e.trackId !== trackId || e.nodeId !== nodeId) continue;
      this.#exports.delete(e.exportId);
      void this.#request(e, 'sourceGone', { trackId, ssrc: e.ssrc }).catch(() => undefined);
    }
    // A stand-in's entry went with it; its source is asked to stop unless it is gone.
    const remote = entry.remote;
    if (remote && entry.nodeId === nodeId && !remote.gone) void this.#request(remote, 'unexportTrack', { exportId: remote.exportId }).catch(() => undefined);
  }

  // --- liveness of the agents we exchange media with ---

  async #keepalive(): Promise<void> {
    if (this.#ticking || this.#stopped) return;
    this.#ticking = true;
    try {
      const peers = new Map<string, Address>();
      for (const x of [...this.#o.links.remoteImports().map((i) => i.remote), ...this.#exports.values()]) peers.set(`${x.ip}:${x.port}`, { ip: x.ip, port: x.port });
      await Promise.all([...peers].map(async ([key, addr]) => {
        try {
          await this.#request(addr, 'ping', {});
          this.#misses.delete(key);
        } catch (err) {
          const misses = (this.#misses.get(key) ?? 0) + 1;
          this.#misses.set(key, misses);
          if (err instanceof UnavailableError || misses >= 2) await this.#peerLost(addr, (err as Error).message);
        }
      }));
    } finally {
      this.#ticking = false;
    }
  }

  async #peerLost(addr: Address, why: string): Promise<void> {
    this.#misses.delete(`${addr.ip}:${addr.port}`);
    this.#o.log.warn({ address: `${addr.ip}:${addr.port}`, why }, 'an agent we exchange media with is gone: its links end');
    for (const imp of this.#o.links.remoteImports()) if (imp.remote.ip === addr.ip && imp.remote.port === addr.port) await this.#endImport(imp);
    for (const e of [...this.#exports.values()]) {
      if (e.ip !== addr.ip || e.port !== addr.port) continue;
      this.#exports.delete(e.exportId);
      await this.#o.nodes.call(e.nodeId, 'unsubscribeTrack', { subscriptionId: e.exportId }).catch(() => undefined);
    }
  }

  // --- NATS ---

  /** A bounded request to the agent serving an internal address; its errors as ours. */
  async #request(to: Address, method: string, payload: unknown): Promise<unknown> {
    const { nc, subjects, rpcTimeoutMs } = this.#o;
    let msg: Msg;
    try {
      msg = await nc.request(subjects.internal(to.ip, to.port, method), json.encode(payload), { timeout: rpcTimeoutMs });
    } catch (err) {
      const code = (err as NatsError).code;
      if (code === ErrorCode.NoResponders) throw new UnavailableError(`no agent serves the internal address ${to.ip}:${to.port}`);
      if (code === ErrorCode.Timeout) throw new TimeoutError(`the agent serving ${to.ip}:${to.port} did not answer within ${rpcTimeoutMs} ms`);
      throw new UnavailableError(`cannot reach ${to.ip}:${to.port}: ${(err as Error).message}`);
    }
    const se = ServiceError.toServiceError(msg);
    if (se) throw fromErrorShape({ code: se.code as Code, name: 'AgentError', message: se.message });
    return msg.data.length ? json.decode(msg.data) : null;
  }

  #publish(to: Address, method: string, payload: unknown): void {
    try {
      this.#o.nc.publish(this.#o.subjects.internal(to.ip, to.port, method), json.encode(payload));
    } catch {
      // the connection is closing: the peer's keep-alive notices instead
    }
  }

  /** How many links this agent holds (tests check that ends leave nothing behind). */
  summary(): { exports: number; imports: number; linkups: number } {
    return { exports: this.#exports.size, imports: this.#o.links.remoteImports().length, linkups: this.#linkups.size };
  }
}
