/**
 * One person in the demo: their WebSocket, the transport they publish on,
 * their published track ids, and the transports through which they watch
 * the others.
 */
import type { WebSocket } from 'ws';

export interface Subscription {
  /** The transport (one PeerConnection in the page) that watches `peerId`. */
  transportId: string;
  nodeId: string;
  peerId: string;
}

export class Participant {
  readonly id: string;
  readonly room: string;
  readonly name: string;
  readonly ws: WebSocket;
  nodeId: string | undefined;
  publishTransport: string | undefined;
  /** Track ids by kind, once the publication is complete. */
  tracks: { audio?: string; video?: string } = {};
  published = false;
  readonly subscriptions = new Map<string, Subscription>();

  constructor(id: string, room: string, name: string, ws: WebSocket) {
    this.id = id;
    this.room = room;
    this.name = name;
    this.ws = ws;
  }

  send(msg: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }
}
