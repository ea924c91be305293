/**
 * A real nats-server for one test file: loopback, a free port (never 4222),
 * JetStream on, its own temporary data folder, stopped when the test ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { connect, type NatsConnection } from 'nats';
import type { Test } from 'tap';
import { NatsServerProcess } from '../../src/rpc/NatsServerProcess';

export async function startNats(t: Test): Promise<NatsServerProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-nats-'));
  const server = await NatsServerProcess.start({ port: 0, dataDir });
  t.teardown(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return server;
}

export async function natsClient(t: Test, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url });
  t.teardown(() => nc.close());
  return nc;
}

/** A TCP port nothing listens on right now (for the embedded-NATS test). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
