/**
 * The messages that cross from the main thread into a node thread (as Piscina
 * tasks) and back. Kept in one file so both sides agree on the shapes.
 */
import type { NodeLimits } from './limits';
import type { ErrorShape } from '../errors';

/** Test-only behaviours, honoured only when the agent runs with testHooks on. */
export interface NodeHooks {
  /** Delay READY by this long (a node that is too slow to start). */
  initDelayMs?: number;
  /** Make the addon fail to load (a broken build, a missing library). */
  failAddonLoad?: boolean;
}

export interface NodeSettings {
  nodeId: string;
  agentId: string;
  /** One Int32 slot the thread bumps every heartbeatMs on its own loop. */
  heartbeat: Int32Array;
  heartbeatMs: number;
  testHooks: boolean;
  hooks: NodeHooks;
  logLevel: string;
  /** The address other agents reach this node's internal transport on. */
  internalIp: string;
  media: MediaSettings;
}

/** Where the node's media sockets live (config: webrtc.*), and how much the node may hold. */
export interface MediaSettings {
  listenIp: string;
  /** The address put in replies (what peers send to). */
  announcedIp: string;
  portMin: number;
  portMax: number;
  /** ICE consent expiry of WebRTC transports (RFC 7675). */
  consentTimeoutMs: number;
  /** Per-node caps (agent.max*PerNode). */
  limits: NodeLimits;
  /** ICE-TCP beside the UDP port (config webrtc.tcp*); absent: UDP only. */
  tcp?: TcpSettings;
  /** Audio levels read from publications that negotiated them (config speakers.*); absent: not read. */
  speakers?: SpeakerSettings;
  /** Send-side bandwidth estimation towards subscribers (config webrtc.bwe.*); absent: off. */
  bwe?: BweSettings;
}

/** Bits per second. */
export interface BweSettings {
  initialBitrate: number;
  minBitrate: number;
  maxBitrate: number;
  probing: boolean;
}

export interface SpeakerSettings {
  /** How often the thread hands the levels it read to the main thread. */
  intervalMs: number;
  /** -dBov at or below which a level counts as no speech. */
  noiseFloor: number;
}

export interface TcpSettings {
  portMin: number;
  portMax: number;
  maxConnections: number;
  idleTimeoutMs: number;
}

export type NodeTask =
  | { kind: 'init'; settings: NodeSettings }
  | { kind: 'assign'; room: string; task: string }
  | { kind: 'release'; room: string; task: string }
  | { kind: 'call'; method: string; args: unknown; internal?: boolean };

export interface ReadyInfo {
  nodeId: string;
  threadId: number;
  addonVersion: string;
}

/** Every task answers with an envelope, so error codes survive the thread hop. */
export type TaskResult<T = unknown> = { ok: true; value: T } | { ok: false; error: ErrorShape };

/** Heartbeat slot layout inside a node's SharedArrayBuffer. */
export const HEARTBEAT_SLOT = 0;
export const HEARTBEAT_BYTES = 4 * Int32Array.BYTES_PER_ELEMENT;

/**
 * An event a node raises for a controller (transport progress, track updates,
 * ...), posted from the node thread to the main thread, which publishes it on
 * `<prefix>.controller.<controller>.<name>`.
 */
export interface NodeEvent {
  /** The controller the event is for (given with the operation that caused it). */
  controller: string;
  name: string;
  payload: unknown;
}

/** The envelope a node event travels in (Piscina passes other messages on too). */
export interface NodeEventMessage {
  nodeEvent: NodeEvent;
}

/**
 * What the main thread's track registry is told, explicitly, by a node
 * thread about tracks made or ended inside it (WebRTC publications are made
 * when an offer is answered): sent just before the controller's
 * onTrackUpdate event, so the registry knows a track before anyone can
 * subscribe to it. `mediaFormat` is the event's (OWT's) format object;
 * `controller` the publish operation's (the speaker detection's room).
 */
export type TrackNotice =
  | { type: 'published'; trackId: string; kind: 'audio' | 'video'; mediaFormat: unknown; controller: string; owner?: string }
  | { type: 'removed'; trackId: string };

export interface TrackNoticeMessage {
  trackNotice: TrackNotice;
}

export function isTrackNoticeMessage(m: unknown): m is TrackNoticeMessage {
  return typeof m === 'object' && m !== null && 'trackNotice' in m;
}

export function isNodeEventMessage(m: unknown): m is NodeEventMessage {
  return typeof m === 'object' && m !== null && 'nodeEvent' in m;
}

/**
 * Audio levels a node thread read since its previous report (posted every
 * speakers.intervalMs while it meters any track): flat triples of track id,
 * packets that carried a level, and the sum of their dB above the noise
 * floor. The main thread's SpeakerService turns them into speaker events.
 */
export interface SpeakerLevels {
  intervalMs: number;
  levels: Array<string | number>;
}

export interface SpeakerLevelsMessage {
  speakerLevels: SpeakerLevels;
}

export function isSpeakerLevelsMessage(m: unknown): m is SpeakerLevelsMessage {
  return typeof m === 'object' && m !== null && 'speakerLevels' in m;
}
