/**
 * Events the agent publishes (docs/api.md, "Events"). Fire-and-forget NATS
 * publishes: a controller that is not listening loses nothing it asked for.
 */
import type { NatsConnection } from 'nats';
import type { AbnormalQuit, RoomTasks } from '../pool/NodeManager';
import { encodeJson } from './reply';
import { isToken, type Subjects } from './subjects';
import type { NodeEvent } from '../node/protocol';

export interface AbnormalEvent {
  purpose: 'webrtc';
  type: 'node';
  id: string;
  agentId: string;
  reason: AbnormalQuit['reason'];
  detail: string;
  rooms: AbnormalQuit['rooms'];
  at: string;
}

export interface QuitEvent {
  purpose: 'webrtc';
  type: 'worker';
  id: string;
  reason: string;
  /** The rooms (and their tasks) the agent still held: they end with it. */
  rooms: RoomTasks[];
  at: string;
}

/** The agent drains: no new rooms; the rooms listed end by `deadline` at the latest. */
export interface DrainingEvent {
  purpose: 'webrtc';
  type: 'worker';
  id: string;
  reason: string;
  rooms: RoomTasks[];
  /** When the agent stops anyway, ending what is left (ISO time). */
  deadline: string;
  at: string;
}

export class EventPublisher {
  readonly #nc: NatsConnection;
  readonly #subjects: Subjects;

  constructor(nc: NatsConnection, subjects: Subjects) {
    this.#nc = nc;
    this.#subjects = subjects;
  }

  abnormal(q: AbnormalQuit): AbnormalEvent {
    const ev: AbnormalEvent = {
      purpose: 'webrtc',
      type: 'node',
      id: q.nodeId,
      agentId: this.#subjects.agentId,
      reason: q.reason,
      detail: q.detail,
      rooms: q.rooms,
      at: new Date().toISOString(),
    };
    this.#nc.publish(this.#subjects.event('abnormal'), encodeJson(ev));
    return ev;
  }

  /** An event a node raised for a controller; `from` says which node. */
  toController(nodeId: string, ev: NodeEvent): void {
    if (!isToken(ev.controller) || !isToken(ev.name)) return;
    this.#nc.publish(this.#subjects.controller(ev.controller, ev.name), encodeJson({ nodeId, agentId: this.#subjects.agentId, ...(ev.payload as object) }));
  }

  /** A speaker decision for a controller (SpeakerService), stamped with the agent. */
  speakerUpdate(controller: string, update: unknown): void {
    if (!isToken(controller)) return;
    this.#nc.publish(this.#subjects.controller(controller, 'onSpeakerUpdate'), encodeJson({ agentId: this.#subjects.agentId, update }));
  }

  draining(reason: string, rooms: RoomTasks[], deadline: number): DrainingEvent {
    return this.#agentEvent('draining', { reason, rooms, deadline: new Date(deadline).toISOString() });
  }

  quit(reason: string, rooms: RoomTasks[]): QuitEvent {
    return this.#agentEvent('quit', { reason, rooms });
  }

  /** An event about the whole agent (type worker), stamped with its id and the time. */
  #agentEvent<E extends { reason: string }>(name: 'draining' | 'quit', fields: E): { purpose: 'webrtc'; type: 'worker'; id: string; at: string } & E {
    const ev = { purpose: 'webrtc' as const, type: 'worker' as const, id: this.#subjects.agentId, ...fields, at: new Date().toISOString() };
    this.#nc.publish(this.#subjects.event(name), encodeJson(ev));
    return ev;
  }
}
