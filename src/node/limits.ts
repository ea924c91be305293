/**
 * Per-node caps on what a controller (or a hostile client) can make a node
 * thread hold: transports, WebRTC operations, tracks and subscriptions
 * (config: agent.max*PerNode). Checked in the node thread, which owns the
 * counts, before anything is made; a call over a cap is a 503 whose message
 * starts with the config key, so an operator knows which knob to turn.
 */
import { UnavailableError } from '../errors';

export interface NodeLimits {
  transports: number;
  operations: number;
  tracks: number;
  subscriptions: number;
}

/** The config key of each cap (docs/config.md). */
export const LIMIT_KEYS: Record<keyof NodeLimits, string> = {
  transports: 'agent.maxTransportsPerNode',
  operations: 'agent.maxOperationsPerNode',
  tracks: 'agent.maxTracksPerNode',
  subscriptions: 'agent.maxSubscriptionsPerNode',
};

/** 503 when adding `adding` more to `held` would go over the cap. */
export function checkLimit(limits: NodeLimits, kind: keyof NodeLimits, held: number, adding = 1): void {
  const max = limits[kind];
  if (held + adding > max) {
    throw new UnavailableError(`${LIMIT_KEYS[kind]}: the node holds ${held} ${kind} of at most ${max}`);
  }
}
