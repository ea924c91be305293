/**
 * The demo: a web page where a person publishes camera and microphone into
 * a room and sees every other participant, through the agent. This server
 * plays the conference controller: it turns the page's WebSocket messages
 * into calls of the agent's NATS API and the agent's controller events back
 * into messages for the page. Nothing here is needed to run the agent.
 *
 * Page -> server: join {room, name}; offer {for: 'publish' | <subscription id>, sdp}
 * Server -> page: joined {id}; answer {for, sdp}; watch {subscriptionId, peerId, name};
 *                 left {peerId}; error {message}
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { JSONCodec, ServiceError, type NatsConnection, type Subscription as NatsSub } from 'nats';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { Participant } from './Participant';

const json = JSONCodec();

export interface DemoOptions {
  nc: NatsConnection;
  /** Subject prefix and agent id of the agent to use. */
  prefix: string;
  agentId: string;
  host: string;
  port: number;
  log: Logger;
}

interface PendingAnswer {
  resolve: (sdp: string) => void;
  reject: (err: Error) => void;
}

export class DemoServer {
  readonly #o: DemoOptions;
  readonly #controller = `demo-${randomBytes(4).toString('hex')}`;
  readonly #participants = new Map<string, Participant>();
  readonly #answers = new Map<string, PendingAnswer>();
  #http: http.Server | undefined;
  #wss: WebSocketServer | undefined;
  #events: NatsSub | undefined;
  #seq = 0;

  private constructor(o: DemoOptions) {
    this.#o = o;
  }

  static async start(o: DemoOptions): Promise<DemoServer> {
    const s = new DemoServer(o);
    await s.#start();
    return s;
  }

  get url(): string {
    const a = this.#http!.address() as { port: number };
    return `http://${this.#o.host === '0.0.0.0' ? 'localhost' : this.#o.host}:${a.port}/`;
  }

  async #start(): Promise<void> {
    const page = readFileSync(path.join(__dirname, '../../src/demo/page.html'), 'utf8');
    this.#http = http.createServer((req, res) => {
      if (req.url === '/' || req.url?.startsWith('/?')) {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(page);
      } else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
    this.#wss = new WebSocketServer({ server: this.#http, path: '/ws', maxPayload: 256 * 1024 });
    this.#wss.on('connection', (ws) => this.#onConnection(ws));
    this.#events = this.#o.nc.subscribe(`${this.#o.prefix}.controller.${this.#controller}.*`, {
      callback: (_err, msg) => this.#onEvent(msg.subject.split('.').pop()!, json.decode(msg.data) as any),
    });
    await new Promise<void>((r) => this.#http!.listen(this.#o.port, this.#o.host, () => r()));
  }

  async stop(): Promise<void> {
    for (const p of [...this.#participants.values()]) await this.#leave(p);
    this.#events?.unsubscribe();
    this.#wss?.close();
    await new Promise<void>((r) => (this.#http ? this.#http.close(() => r()) : r()));
  }

  async #call(subject: string, payload: unknown): Promise<any> {
    const msg = await this.#o.nc.request(subject, json.encode(payload), { timeout: 10_000 });
    const err = ServiceError.toServiceError(msg);
    if (err) throw new Error(`${err.code} ${err.message}`);
    return msg.data.length ? json.decode(msg.data) : null;
  }

  #agent(method: string, payload: unknown): Promise<any> {
    return this.#call(`${this.#o.prefix}.agent.${this.#o.agentId}.${method}`, payload);
  }

  #node(nodeId: string, method: string, payload: unknown): Promise<any> {
    return this.#call(`${this.#o.prefix}.node.${nodeId}.${method}`, payload);
  }

  #onConnection(ws: WebSocket): void {
    let me: Participant | undefined;
    ws.on('message', (data) => {
      let msg: any;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return ws.send(JSON.stringify({ type: 'error', message: 'not JSON' }));
      }
      const run = async () => {
        if (msg.type === 'join' && !me) {
          const room = String(msg.room ?? '').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40) || 'lobby';
          me = new Participant(`p${++this.#seq}-${randomBytes(2).toString('hex')}`, room, String(msg.name ?? '').slice(0, 40) || 'guest', ws);
          this.#participants.set(me.id, me);
          me.send({ type: 'joined', id: me.id, room });
        } else if (msg.type === 'offer' && me && typeof msg.sdp === 'string') {
          const sdp = msg.for === 'publish' ? await this.#publish(me, msg.sdp) : await this.#subscribeAnswer(me, String(msg.for), msg.sdp);
          me.send({ type: 'answer', for: msg.for, sdp });
        }
      };
      run().catch((err: Error) => {
        this.#o.log.warn({ err: err.message }, 'demo request failed');
        ws.send(JSON.stringify({ type: 'error', message: err.message }));
      });
    });
    ws.on('close', () => {
      if (me) void this.#leave(me);
    });
  }

  #waitAnswer(transportId: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#answers.delete(transportId);
        reject(new Error(`no answer for ${transportId}`));
      }, 10_000);
      this.#answers.set(transportId, {
        resolve: (sdp) => {
          clearTimeout(timer);
          resolve(sdp);
        },
        reject,
      });
    });
  }

  async #publish(me: Participant, offer: string): Promise<string> {
    if (me.publishTransport) throw new Error('already publishing');
    const { nodeId } = await this.#agent('getNode', { room: me.room, task: me.id });
    me.nodeId = nodeId;
    const transportId = `${me.id}-pub`;
    me.publishTransport = transportId;
    await this.#node(nodeId, 'createTransport', { transportId, controller: this.#controller });
    await this.#node(nodeId, 'publish', {
      operationId: `${me.id}-pub`,
      connectionType: 'webrtc',
      options: { transportId, controller: this.#controller, owner: me.id, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }] },
    });
    const answer = this.#waitAnswer(transportId);
    await this.#node(nodeId, 'onTransportSignaling', { transportId, message: { type: 'offer', sdp: offer } });
    return answer;
  }

  /** Once a publication is complete: everyone else watches it, and its owner watches everyone. */
  #published(p: Participant): void {
    p.published = true;
    for (const other of this.#participants.values()) {
      if (other === p || other.room !== p.room || !other.published) continue;
      this.#offerWatch(other, p);
      this.#offerWatch(p, other);
    }
  }

  #offerWatch(viewer: Participant, peer: Participant): void {
    const subscriptionId = `${viewer.id}-w-${peer.id}`;
    viewer.subscriptions.set(subscriptionId, { transportId: subscriptionId, nodeId: '', peerId: peer.id });
    viewer.send({ type: 'watch', subscriptionId, peerId: peer.id, name: peer.name });
  }

  async #subscribeAnswer(me: Participant, subscriptionId: string, offer: string): Promise<string> {
    const sub = me.subscriptions.get(subscriptionId);
    const peer = sub && this.#participants.get(sub.peerId);
    if (!sub || !peer) throw new Error(`no such subscription ${subscriptionId}`);
    // Each watch is a task of the room: a big room spills over to more nodes.
    const { nodeId } = await this.#agent('getNode', { room: me.room, task: subscriptionId });
    sub.nodeId = nodeId;
    const tracks = [];
    if (peer.tracks.audio) tracks.push({ mid: '0', type: 'audio', from: peer.tracks.audio });
    if (peer.tracks.video) tracks.push({ mid: '1', type: 'video', from: peer.tracks.video });
    await this.#node(nodeId, 'createTransport', { transportId: subscriptionId, controller: this.#controller });
    await this.#node(nodeId, 'subscribe', {
      operationId: subscriptionId,
      connectionType: 'webrtc',
      options: { transportId: subscriptionId, controller: this.#controller, owner: me.id, tracks },
    });
    const answer = this.#waitAnswer(subscriptionId);
    await this.#node(nodeId, 'onTransportSignaling', { transportId: subscriptionId, message: { type: 'offer', sdp: offer } });
    return answer;
  }

  #onEvent(name: string, ev: any): void {
    if (name === 'onTransportProgress' && ev.status?.type === 'answer') {
      this.#answers.get(ev.transportId)?.resolve(ev.status.sdp);
      this.#answers.delete(ev.transportId);
    } else if (name === 'onTrackUpdate' && ev.update) {
      const owner = [...this.#participants.values()].find((p) => p.publishTransport === ev.transportId);
      if (!owner) return;
      if (ev.update.type === 'track-added' && ev.update.direction === 'in') {
        owner.tracks[ev.update.mediaType as 'audio' | 'video'] = ev.update.trackId;
      } else if (ev.update.type === 'tracks-complete') {
        this.#published(owner);
      }
    }
  }

  async #leave(p: Participant): Promise<void> {
    if (!this.#participants.delete(p.id)) return;
    for (const other of this.#participants.values()) {
      for (const [sid, sub] of other.subscriptions) {
        if (sub.peerId !== p.id) continue;
        other.subscriptions.delete(sid);
        other.send({ type: 'left', peerId: p.id, subscriptionId: sid });
        await this.#end(sub.nodeId, sid, other.room, sid);
      }
    }
    for (const [sid, sub] of p.subscriptions) await this.#end(sub.nodeId, sid, p.room, sid);
    if (p.nodeId && p.publishTransport) await this.#end(p.nodeId, p.publishTransport, p.room, p.id);
  }

  async #end(nodeId: string, transportId: string, room: string, task: string): Promise<void> {
    if (!nodeId) return;
    await this.#node(nodeId, 'destroyTransport', { transportId }).catch(() => undefined);
    await this.#agent('recycleNode', { nodeId, room, task }).catch(() => undefined);
  }
}
