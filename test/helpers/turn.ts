/**
 * Debian's coturn (`turnserver`), started by a test on a free port of one
 * address (loopback, or a test namespace's host side), with one long-term
 * credential user, no TLS/DTLS, no CLI, its database and log in a
 * temporary directory. Stopped on teardown.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Test } from 'tap';
import { waitFor } from './agent';
import { browserEnv } from './chromium';

export interface Turn {
  ip: string;
  port: number;
  username: string;
  credential: string;
  /** What the server logged (allocations, errors). */
  log(): string;
}

/** A port free for TCP on ip right now (coturn listens on it for UDP and TCP). */
async function freePort(ip: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startTurn(t: Test, ip: string): Promise<Turn> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-turn-'));
  const port = await freePort(ip);
  // Relay ports: a window above an OS-chosen free port; coturn skips any
  // taken meanwhile.
  const relayMin = await freePort(ip);
  const logFile = path.join(dir, 'turn.log');
  const username = 'agent-test';
  const credential = `pw-${process.pid}`;
  const child = spawn(
    'turnserver',
    [
      '-n',
      `--listening-ip=${ip}`,
      `--listening-port=${port}`,
      `--relay-ip=${ip}`,
      `--min-port=${relayMin}`,
      `--max-port=${Math.min(relayMin + 50, 65535)}`,
      '--lt-cred-mech',
      `--user=${username}:${credential}`,
      '--realm=webrtc-agent.test',
      `--userdb=${path.join(dir, 'turndb')}`,
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--no-multicast-peers',
      '--allow-loopback-peers',
      '--fingerprint',
      `--pidfile=${path.join(dir, 'turn.pid')}`,
      `--log-file=${logFile}`,
      '--simple-log',
      '--no-stdout-log',
    ],
    // Not the AddressSanitizer run's preload (scripts/asan-test.sh): coturn is not what it checks.
    { stdio: 'ignore', env: browserEnv() },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  t.teardown(async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await waitFor(() => exited, 3000, 'turnserver exit').catch(() => child.kill('SIGKILL'));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  // Listening once a TCP connect succeeds.
  await waitFor(
    () =>
      !exited &&
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, ip);
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    5000,
    'turnserver listening',
  );
  return { ip, port, username, credential, log };
}
