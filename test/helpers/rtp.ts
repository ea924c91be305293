/**
 * Real UDP endpoints and RTP/RTCP packets for media tests.
 */
import dgram from 'node:dgram';
import type { Test } from 'tap';
import { waitFor } from './agent';

export interface RtpFields {
  ssrc: number;
  seq: number;
  ts: number;
  pt: number;
  marker?: boolean;
  payload?: Buffer;
}

export function buildRtp(f: RtpFields): Buffer {
  const payload = f.payload ?? Buffer.alloc(100, 0xab);
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = (f.marker ? 0x80 : 0) | (f.pt & 0x7f);
  b.writeUInt16BE(f.seq & 0xffff, 2);
  b.writeUInt32BE(f.ts >>> 0, 4);
  b.writeUInt32BE(f.ssrc >>> 0, 8);
  payload.copy(b, 12);
  return b;
}

export function parseRtp(b: Buffer): RtpFields & { payload: Buffer } {
  return {
    pt: b[1]! & 0x7f,
    marker: (b[1]! & 0x80) !== 0,
    seq: b.readUInt16BE(2),
    ts: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
    payload: b.subarray(12),
  };
}

/** RTCP PLI (RFC 4585): what a subscriber sends to ask for a key frame. */
export function buildPli(senderSsrc: number, mediaSsrc: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x81;
  b[1] = 206;
  b.writeUInt16BE(2, 2);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  return b;
}

/** RTCP generic NACK (RFC 4585) for one lost sequence number. */
export function buildNack(senderSsrc: number, mediaSsrc: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = 0x81;
  b[1] = 205;
  b.writeUInt16BE(3, 2);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  b.writeUInt16BE(seq & 0xffff, 12);
  return b;
}

/** RTCP FIR (RFC 5104) for one SSRC. */
export function buildFir(senderSsrc: number, mediaSsrc: number, seqNr: number): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0x84;
  b[1] = 206;
  b.writeUInt16BE(4, 2);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(mediaSsrc >>> 0, 12);
  b[16] = seqNr & 0xff;
  return b;
}

/** One packet of an RTCP compound: its header fields and its body (after the 4-byte header). */
export interface RtcpPart {
  type: number;
  count: number;
  body: Buffer;
}

/** Splits an RTCP compound; throws on a length that runs past the end (the agent must never send one). */
export function rtcpParts(b: Buffer): RtcpPart[] {
  const out: RtcpPart[] = [];
  let at = 0;
  while (at < b.length) {
    if (b.length - at < 4 || b[at]! >> 6 !== 2) throw new Error(`bad RTCP header at ${at}`);
    const size = (b.readUInt16BE(at + 2) + 1) * 4;
    if (at + size > b.length) throw new Error(`RTCP length past the end at ${at}`);
    out.push({ type: b[at + 1]!, count: b[at]! & 0x1f, body: b.subarray(at + 4, at + size) });
    at += size;
  }
  return out;
}

/** A PLI in the compound, or undefined. */
export function findPli(b: Buffer): { senderSsrc: number; mediaSsrc: number } | undefined {
  const p = rtcpParts(b).find((x) => x.type === 206 && x.count === 1);
  return p && { senderSsrc: p.body.readUInt32BE(0), mediaSsrc: p.body.readUInt32BE(4) };
}

export function isPli(b: Buffer): boolean {
  return findPli(b) !== undefined;
}

export interface ReportBlockFields {
  ssrc: number;
  fractionLost: number;
  cumulativeLost: number;
  highestSeq: number;
  jitter: number;
  lsr: number;
  dlsr: number;
}

function reportBlocks(body: Buffer, at: number, count: number): ReportBlockFields[] {
  const out: ReportBlockFields[] = [];
  for (let i = 0; i < count; i++) {
    const o = at + 24 * i;
    out.push({
      ssrc: body.readUInt32BE(o),
      fractionLost: body[o + 4]!,
      cumulativeLost: body.readIntBE(o + 5, 3),
      highestSeq: body.readUInt32BE(o + 8),
      jitter: body.readUInt32BE(o + 12),
      lsr: body.readUInt32BE(o + 16),
      dlsr: body.readUInt32BE(o + 20),
    });
  }
  return out;
}

/** Every RR in the compound: its sender SSRC and report blocks. */
export function findRrs(b: Buffer): Array<{ senderSsrc: number; blocks: ReportBlockFields[] }> {
  return rtcpParts(b)
    .filter((p) => p.type === 201)
    .map((p) => ({ senderSsrc: p.body.readUInt32BE(0), blocks: reportBlocks(p.body, 4, p.count) }));
}

export interface SenderReportFields {
  ssrc: number;
  ntp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export function findSrs(b: Buffer): SenderReportFields[] {
  return rtcpParts(b)
    .filter((p) => p.type === 200)
    .map((p) => ({
      ssrc: p.body.readUInt32BE(0),
      ntp: p.body.readBigUInt64BE(4),
      rtpTimestamp: p.body.readUInt32BE(12),
      packetCount: p.body.readUInt32BE(16),
      octetCount: p.body.readUInt32BE(20),
    }));
}

/** Every generic NACK in the compound, expanded to sequence numbers. */
export function findNacks(b: Buffer): Array<{ senderSsrc: number; mediaSsrc: number; seqs: number[] }> {
  return rtcpParts(b)
    .filter((p) => p.type === 205 && p.count === 1)
    .map((p) => {
      const seqs: number[] = [];
      for (let o = 8; o + 4 <= p.body.length; o += 4) {
        const pid = p.body.readUInt16BE(o);
        const blp = p.body.readUInt16BE(o + 2);
        seqs.push(pid);
        for (let k = 0; k < 16; k++) if (blp & (1 << k)) seqs.push((pid + k + 1) & 0xffff);
      }
      return { senderSsrc: p.body.readUInt32BE(0), mediaSsrc: p.body.readUInt32BE(4), seqs };
    });
}

/** An NTP timestamp (RFC 3550 §4) for a Unix time in ms. */
export function ntpFromMs(ms: number): bigint {
  const seconds = BigInt(Math.floor(ms / 1000)) + 2208988800n;
  const fraction = (BigInt(Math.round((ms % 1000) * 1000)) << 32n) / 1000000n;
  return (seconds << 32n) | fraction;
}

/** An RTCP SR with no report blocks: what a plain RTP sender sends. */
export function buildSr(f: SenderReportFields): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(f.ssrc >>> 0, 4);
  b.writeBigUInt64BE(f.ntp, 8);
  b.writeUInt32BE(f.rtpTimestamp >>> 0, 16);
  b.writeUInt32BE(f.packetCount >>> 0, 20);
  b.writeUInt32BE(f.octetCount >>> 0, 24);
  return b;
}

/** An RTCP RR with one report block: what a plain RTP receiver sends about a stream. */
export function buildRr(senderSsrc: number, block: ReportBlockFields): Buffer {
  const b = Buffer.alloc(32);
  b[0] = 0x81;
  b[1] = 201;
  b.writeUInt16BE(7, 2);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(block.ssrc >>> 0, 8);
  b[12] = block.fractionLost;
  b.writeIntBE(block.cumulativeLost, 13, 3);
  b.writeUInt32BE(block.highestSeq >>> 0, 16);
  b.writeUInt32BE(block.jitter >>> 0, 20);
  b.writeUInt32BE(block.lsr >>> 0, 24);
  b.writeUInt32BE(block.dlsr >>> 0, 28);
  return b;
}

/** A UDP socket on 127.0.0.1 that records what it receives. */
export class UdpPeer {
  readonly socket: dgram.Socket;
  readonly received: Buffer[] = [];
  port = 0;

  private constructor(socket: dgram.Socket) {
    this.socket = socket;
    socket.on('message', (m) => this.received.push(m));
  }

  static async open(t: Test): Promise<UdpPeer> {
    const s = dgram.createSocket('udp4');
    const p = new UdpPeer(s);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    p.port = (s.address() as { port: number }).port;
    t.teardown(() => new Promise<void>((r) => s.close(() => r())));
    return p;
  }

  send(b: Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(b, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  rtp(): Array<RtpFields & { payload: Buffer }> {
    return this.received.filter((b) => b.length >= 12 && !((b[1]! & 0x7f) >= 64 && (b[1]! & 0x7f) <= 95)).map(parseRtp);
  }

  rtcp(): Buffer[] {
    return this.received.filter((b) => b.length >= 4 && (b[1]! & 0x7f) >= 64 && (b[1]! & 0x7f) <= 95);
  }
}

/**
 * A plain publisher (transport pub, track cam) and a plain subscriber
 * (transport sub) on one node, `call` being that node's methods; send(n)
 * sends n more packets and waits until the subscriber has them all.
 */
export async function plainRoom(t: Test, call: (method: string, args: unknown) => Promise<any>): Promise<{ send(count: number): Promise<void> }> {
  const pub = await call('createPlainTransport', { transportId: 'pub' });
  await call('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 777, payloadType: 96 });
  const sink = await UdpPeer.open(t);
  await call('createPlainTransport', { transportId: 'sub' });
  await call('connectPlainTransport', { transportId: 'sub', ip: '127.0.0.1', port: sink.port });
  await call('subscribeTrack', { transportId: 'sub', trackId: 'cam', subscriptionId: 's' });
  const sender = await UdpPeer.open(t);
  let seq = 0;
  return {
    send: async (count: number) => {
      for (let i = 0; i < count; i++, seq++) await sender.send(buildRtp({ ssrc: 777, seq, ts: seq * 3000, pt: 96 }), pub.port);
      const want = seq;
      await waitFor(() => sink.rtp().length === want, 5000, `${want} packets at the subscriber`);
    },
  };
}
