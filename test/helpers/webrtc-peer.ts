/**
 * The repo's own C++ WebRTC client (bench/tools/webrtc_peer.cc) driven from
 * tests: its build and SDP helpers (bench/lib/webrtc-peer.js), and a process
 * read as JSON lines over its stdin protocol.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { JSONCodec } from 'nats';
import type { Test } from 'tap';
import { startAgent, testConfig } from './agent';
import { natsClient, startNats } from './nats';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const peerTool = require('../../bench/lib/webrtc-peer') as {
  buildWebrtcPeer(binDir: string): string;
  iceCredentials(): { ufrag: string; pwd: string };
  offerSdp(o: { ice: { ufrag: string; pwd: string }; fingerprint: string; direction: string; ssrc?: number; twccExt?: number }): string;
  peerArgs(answer: string, ice: { ufrag: string; pwd: string }): string;
};

/** A webrtc_peer process read as JSON lines. */
export class Peer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  #wake: (() => void) | undefined;
  #stderr = '';

  constructor(bin: string, args: string[]) {
    this.#child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr.on('data', (d) => (this.#stderr += d));
    createInterface({ input: this.#child.stdout }).on('line', (l) => {
      this.#lines.push(l);
      this.#wake?.();
    });
  }

  async next(timeoutMs = 10_000): Promise<any> {
    const end = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (Date.now() > end) throw new Error(`no line from webrtc_peer within ${timeoutMs} ms: ${this.#stderr}`);
      await new Promise<void>((r) => {
        this.#wake = r;
        setTimeout(r, 100);
      });
    }
    return JSON.parse(this.#lines.shift()!);
  }

  async ask(cmd: string, timeoutMs?: number): Promise<any> {
    this.#child.stdin.write(`${cmd}\n`);
    return this.next(timeoutMs);
  }

  stop(): void {
    this.#child.kill('SIGTERM');
  }
}

/**
 * The client built into a temporary directory, a nats-server, an agent on it
 * (env: config overrides) and a connection that collects one controller's
 * onTransportProgress events; status(tid, type) finds one.
 */
export async function peerAgent(t: Test, controller: string, env: Record<string, string> = {}) {
  const binDir = mkdtempSync(path.join(tmpdir(), 'wa-webrtc-peer-'));
  t.teardown(() => rmSync(binDir, { recursive: true, force: true }));
  const bin = peerTool.buildWebrtcPeer(binDir);
  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1', ...env }));
  const nc = await natsClient(t, nats.url);
  const progress: any[] = [];
  const json = JSONCodec();
  const sub = nc.subscribe(agent.subjects.controller(controller, 'onTransportProgress'));
  void (async () => {
    for await (const m of sub) progress.push(json.decode(m.data));
  })();
  await nc.flush();
  const status = (tid: string, type: string) => progress.find((p) => p.transportId === tid && p.status.type === type);
  return { bin, agent, nc, status };
}
