/**
 * The ICE-TCP port against raw TCP clients on loopback (no browser): a
 * check framed per RFC 4571 and cut across writes is answered on its
 * connection and selects it as a TCP pair; a frame over the limit, a
 * connection that never passes a check, and one over the connection cap
 * are closed and counted; a peer that stops reading is dropped as slow;
 * a transport's connection closes with it.
 */
import t, { type Test } from 'tap';
import net from 'node:net';
import { waitFor } from '../helpers/agent';
import { bindingRequest, COOKIE } from '../helpers/stun';
import { answeredFixture, controllerAgent } from '../helpers/webrtc';

const CONTROLLER = 'tcp-raw-ctl';

/** A TCP client that collects the RFC 4571 frames it reads and notes when the agent closes. */
class FramedClient {
  frames: Buffer[] = [];
  closed = false;
  #rest = Buffer.alloc(0);
  constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.#rest = Buffer.concat([this.#rest, d]);
      while (this.#rest.length >= 2 && this.#rest.length >= 2 + this.#rest.readUInt16BE(0)) {
        const n = this.#rest.readUInt16BE(0);
        this.frames.push(this.#rest.subarray(2, 2 + n));
        this.#rest = this.#rest.subarray(2 + n);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }
  static async open(t: Test, port: number): Promise<FramedClient> {
    const socket = net.connect(port, '127.0.0.1');
    t.teardown(() => socket.destroy());
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new FramedClient(socket);
  }
  get localPort(): number {
    return this.socket.localPort!;
  }
}

function framed(b: Buffer): Buffer {
  const h = Buffer.alloc(2);
  h.writeUInt16BE(b.length, 0);
  return Buffer.concat([h, b]);
}

t.test('ICE-TCP: framed checks answered on their connection; hostile and idle connections closed and counted', async (t) => {
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER, { WEBRTC_TCP_MAX_CONNECTIONS: '3', WEBRTC_TCP_IDLE_TIMEOUT_MS: '800' });
  const on = await nodeFor('room-t', 't');
  const { answer, pwd, username } = await answeredFixture(on, events, CONTROLLER, 'h');
  const udp = /a=candidate:(\S+) 1 udp (\d+) 127\.0\.0\.1 (\d+) typ host/.exec(answer);
  const tcp = /a=candidate:(\S+) 1 tcp (\d+) 127\.0\.0\.1 (\d+) typ host tcptype passive/.exec(answer);
  t.ok(udp && tcp, 'a UDP and a passive TCP host candidate');
  t.ok(Number(udp![2]) > Number(tcp![2]), 'UDP preferred (higher priority)');
  t.not(udp![1], tcp![1], 'different foundations');
  const port = Number(tcp![3]);
  const stats = async () => {
    const s = await on('getStats', {});
    return { tcp: s.webrtcPort.tcp, transport: s.transports.find((x: { id: string }) => x.id === 'h') };
  };
  t.equal((await stats()).tcp.port, port, 'the port in the answer is the node\'s ICE-TCP port');

  // A good check with USE-CANDIDATE, its frame cut across three writes.
  const a = await FramedClient.open(t, port);
  const good = bindingRequest({ username, password: pwd, useCandidate: true });
  const bytes = framed(good.packet);
  for (const part of [bytes.subarray(0, 1), bytes.subarray(1, 30), bytes.subarray(30)]) {
    a.socket.write(part);
    await new Promise((r) => setTimeout(r, 20));
  }
  await waitFor(() => a.frames.length > 0, 3000, 'a framed answer');
  const reply = a.frames[0]!;
  t.equal(reply.readUInt16BE(0), 0x0101, 'a Binding success');
  t.equal(reply.readUInt32BE(4), COOKIE);
  t.ok(reply.subarray(8, 20).equals(good.txid), 'to our transaction');
  await waitFor(async () => (await stats()).transport.iceState === 'connected', 3000, 'selected');
  t.match((await stats()).transport.remote, { ip: '127.0.0.1', port: a.localPort, protocol: 'tcp' }, 'the selected pair is the TCP connection');

  // A frame longer than the limit: closed.
  const b = await FramedClient.open(t, port);
  b.socket.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
  await waitFor(() => b.closed, 3000, 'too-long frame: closed');

  // Two that say nothing, then one over the cap of three.
  const c = await FramedClient.open(t, port);
  const d = await FramedClient.open(t, port);
  await waitFor(async () => (await stats()).tcp.connections === 3, 3000, 'three open');
  const e = await FramedClient.open(t, port);
  await waitFor(() => e.closed, 3000, 'over the cap: closed at once');
  t.notOk(c.closed || d.closed, 'the others stay (for now)');
  await waitFor(() => c.closed && d.closed, 5000, 'idle connections closed');
  t.notOk(a.closed, 'the authenticated connection stays');
  t.match((await stats()).tcp, { connections: 1, accepted: 4, closed: { rejectedFull: 1, badFrame: 1, idle: 2, byPeer: 0, slow: 0 } });

  // A peer that passed a check but never reads: it keeps sending checks,
  // and the answers pile up (kernel buffers, then the agent's 512 KiB)
  // until the agent drops it, without holding anything else up.
  const g = await FramedClient.open(t, port);
  const check = framed(bindingRequest({ username, password: pwd }).packet);
  g.socket.write(check);
  await waitFor(() => g.frames.length > 0, 3000, 'the slow peer passed a check');
  g.socket.pause();
  const burst = Buffer.concat(Array.from({ length: 1000 }, () => check));
  const floodEnd = Date.now() + 20_000;
  while ((await stats()).tcp.closed.slow === 0 && Date.now() < floodEnd) {
    if (!g.socket.destroyed && g.socket.writableLength < 1 << 20) g.socket.write(burst);
    await new Promise((r) => setTimeout(r, 10));
  }
  t.equal((await stats()).tcp.closed.slow, 1, 'the peer that does not read is dropped as slow');
  t.notOk(a.closed, 'the other connection is untouched');

  // The node still answers on it; destroying the transport closes it.
  const again = bindingRequest({ username, password: pwd });
  a.socket.write(framed(again.packet));
  await waitFor(() => a.frames.some((f) => f.subarray(8, 20).equals(again.txid)), 3000, 'still answering');
  await on('destroyTransport', { transportId: 'h' });
  await waitFor(() => a.closed, 3000, 'closed with its transport');
  t.equal((await stats()).tcp.connections, 0, 'nothing held');
});
