/** An agents-bucket entry for tests, with the fields each test cares about. */
import type { AgentEntry } from '../../src/cluster/layout';

export function agentEntry(id: string, extra: Partial<AgentEntry> = {}): AgentEntry {
  return {
    id,
    purpose: 'webrtc',
    hostname: 'h',
    ip: '127.0.0.1',
    internalAddress: '127.0.0.1',
    capacity: { isps: [], regions: [] },
    maxLoad: 0.85,
    nodes: 2,
    rooms: [],
    load: null,
    version: '0',
    startedAt: 1,
    updatedAt: 0,
    reportIntervalMs: 1000,
    ...extra,
  };
}
