/**
 * Real UDP endpoints and RTP/RTCP packets for media tests.
 */
import dgram from 'node:dgram';
import type { Test } from 'tap';

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

export function isPli(b: Buffer): boolean {
  return b.length >= 12 && b[1] === 206 && (b[0]! & 0x1f) === 1;
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
