/**
 * The cluster's names in NATS, in one place (docs/cluster.md describes them):
 *
 *   KV bucket  webrtc-agent-<cluster>-agents   agent.<agentId>          AgentEntry (refreshed every interval)
 *                                              lost.<agentId>.<updatedAt>  LostClaim (who reported the loss)
 *   KV bucket  webrtc-agent-<cluster>-rooms    room.<b64url(room)>      RoomEntry (room -> agents, CAS)
 *                                              task.<b64url(task)>      Reservation (task -> agent, expiresAt)
 *   subject    <prefix>.cluster.<cluster>.schedule     request/reply, queue group `schedulers`
 *   subject    <prefix>.cluster.<cluster>.event.lost   the lost event
 */
export const PURPOSE = 'webrtc';

export interface Capacity {
  isps: string[];
  regions: string[];
}

/** One agent's entry in the agents bucket. */
export interface AgentEntry {
  id: string;
  purpose: string;
  hostname: string;
  ip: string;
  /** Address other agents use to reach this one (media between agents). */
  internalAddress: string;
  /**
   * `ip:port` of each node's internal port (getInternalAddress): the only
   * destinations another agent's exportTrack sends this agent's requests'
   * media to. Absent in entries of older agents (they get no exports).
   */
  internalAddresses?: string[];
  capacity: Capacity;
  maxLoad: number;
  nodes: number;
  rooms: string[];
  /** Set while the agent drains (why): it serves the rooms it holds and is never scheduled. */
  draining?: string;
  /** null until the first load report: not schedulable before that. */
  load: number | null;
  /** Every metric the collector measured, for operators (0..1 each). */
  metrics?: Record<string, number>;
  version: string;
  startedAt: number;
  /** ms since the epoch of the last refresh; older than 3 intervals = lost. */
  updatedAt: number;
  reportIntervalMs: number;
}

export interface RoomEntry {
  room: string;
  /** In the order the room used them; the first schedulable one takes new tasks. */
  agents: string[];
  updatedAt: number;
}

export interface Reservation {
  task: string;
  agent: string;
  room?: string;
  expiresAt: number;
}

export interface LostClaim {
  agent: string;
  updatedAt: number;
  by: string;
  at: number;
}

export interface LostEvent {
  purpose: string;
  type: 'worker';
  id: string;
  reason: 'lost';
  rooms: string[];
  tasks: string[];
  lastSeen: string;
  detectedBy: string;
  at: string;
}

export function agentsBucket(cluster: string): string {
  return `webrtc-agent-${cluster}-agents`;
}

export function roomsBucket(cluster: string): string {
  return `webrtc-agent-${cluster}-rooms`;
}

export const agentKey = (id: string): string => `agent.${id}`;
export const lostKey = (id: string, updatedAt: number): string => `lost.${id}.${updatedAt}`;
export const roomKey = (room: string): string => `room.${b64(room)}`;
export const taskKey = (task: string): string => `task.${b64(task)}`;

/** base64url without padding: only [A-Za-z0-9_-], all valid in KV keys. */
function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

export class ClusterSubjects {
  constructor(
    readonly prefix: string,
    readonly cluster: string,
  ) {}

  schedule(): string {
    return `${this.prefix}.cluster.${this.cluster}.schedule`;
  }

  lost(): string {
    return `${this.prefix}.cluster.${this.cluster}.event.lost`;
  }
}

export const SCHEDULE_QUEUE = 'schedulers';

export function splitList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}
