/**
 * The agent's load, as OWT measures it: for a webrtc agent the network (max of
 * rx and tx Mbit/s on one interface / networkMaxScaleMbit), otherwise cpu.
 * Sampled from /proc deltas; the parsers are pure functions (unit-tested on
 * sample text). Where /proc is missing (not Linux), network and machine cpu
 * read as 0 and memory falls back to os.freemem/os.totalmem.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

import { LOAD_METRICS, type LoadMetric } from '../config/enums';

export { LOAD_METRICS, type LoadMetric };

export interface NetCounters {
  rxBytes: number;
  txBytes: number;
}

/** /proc/net/dev -> interface -> byte counters. */
export function parseNetDev(text: string): Map<string, NetCounters> {
  const out = new Map<string, NetCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes ...
    if (!name || f.length < 16 || f.some((x) => !Number.isFinite(x))) continue;
    out.set(name, { rxBytes: f[0]!, txBytes: f[8]! });
  }
  return out;
}

export interface CpuTimes {
  total: number;
  idle: number;
}

/** The aggregate `cpu` line of /proc/stat (jiffies); idle includes iowait. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return undefined;
  // user nice system idle iowait irq softirq steal guest guest_nice; guest* are inside user/nice.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, idle: f[3]! + (f[4] ?? 0) };
}

/** Used fraction of memory from /proc/meminfo (MemAvailable), 0..1. */
export function parseMemInfo(text: string): number | undefined {
  const get = (k: string): number | undefined => {
    const m = new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = get('MemTotal');
  const avail = get('MemAvailable');
  if (!total || avail === undefined) return undefined;
  return clamp01(1 - avail / total);
}

/** The interface of the default route in /proc/net/route (destination 0.0.0.0). */
export function parseDefaultRoute(text: string): string | undefined {
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && f[1] === '00000000' && f[7] === '00000000') return f[0];
  }
  return undefined;
}

/** max(rx, tx) in Mbit/s over dtMs, divided by scaleMbit. */
export function networkLoad(prev: NetCounters, cur: NetCounters, dtMs: number, scaleMbit: number): number {
  if (dtMs <= 0) return 0;
  const rx = Math.max(0, cur.rxBytes - prev.rxBytes);
  const tx = Math.max(0, cur.txBytes - prev.txBytes);
  const mbit = (Math.max(rx, tx) * 8) / 1e6 / (dtMs / 1000);
  return mbit / scaleMbit;
}

/** Busy fraction of the machine between two /proc/stat samples. */
export function cpuLoad(prev: CpuTimes, cur: CpuTimes): number {
  const total = cur.total - prev.total;
  if (total <= 0) return 0;
  return clamp01(1 - (cur.idle - prev.idle) / total);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

export interface LoadSample {
  /** The value that drives scheduling (config cluster.loadMetric). */
  load: number;
  network: number;
  cpu: number;
  processCpu: number;
  memory: number;
}

export interface LoadCollectorOptions {
  metric: LoadMetric;
  /** An interface name, or 'auto' = the interface of the default route (else lo). */
  networkInterface: string;
  networkMaxScaleMbit: number;
  /** Test seam: read a /proc file (default: readFileSync, undefined when absent). */
  readProc?: (file: string) => string | undefined;
}

function readProcFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export class LoadCollector {
  readonly #o: LoadCollectorOptions;
  readonly #read: (file: string) => string | undefined;
  readonly interfaceName: string;
  #prev: { at: number; net?: NetCounters; cpu?: CpuTimes; proc: NodeJS.CpuUsage } | undefined;

  constructor(o: LoadCollectorOptions) {
    this.#o = o;
    this.#read = o.readProc ?? readProcFile;
    this.interfaceName =
      o.networkInterface === 'auto' ? (parseDefaultRoute(this.#read('/proc/net/route') ?? '') ?? 'lo') : o.networkInterface;
    this.#prev = this.#snapshot();
  }

  #snapshot(): { at: number; net?: NetCounters; cpu?: CpuTimes; proc: NodeJS.CpuUsage } {
    return {
      at: performance.now(),
      net: parseNetDev(this.#read('/proc/net/dev') ?? '').get(this.interfaceName),
      cpu: parseProcStat(this.#read('/proc/stat') ?? ''),
      proc: process.cpuUsage(),
    };
  }

  /** The load since the previous sample (the first call compares with construction time). */
  sample(): LoadSample {
    const cur = this.#snapshot();
    const prev = this.#prev ?? cur;
    this.#prev = cur;
    const dt = cur.at - prev.at;
    const network = prev.net && cur.net ? networkLoad(prev.net, cur.net, dt, this.#o.networkMaxScaleMbit) : 0;
    const cpu = prev.cpu && cur.cpu ? cpuLoad(prev.cpu, cur.cpu) : 0;
    const usedUs = cur.proc.user + cur.proc.system - (prev.proc.user + prev.proc.system);
    const processCpu = dt > 0 ? clamp01(usedUs / 1000 / dt / Math.max(1, os.cpus().length)) : 0;
    const memory = parseMemInfo(this.#read('/proc/meminfo') ?? '') ?? clamp01(1 - os.freemem() / os.totalmem());
    const all = { network, cpu, processCpu, memory };
    return { load: all[this.#o.metric], ...all };
  }
}
