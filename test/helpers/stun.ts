/**
 * STUN Binding requests as a controlling full ICE agent (a browser) sends
 * them, built from RFC 5389/8445 independently of the agent's own code.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';

export const COOKIE = 0x2112a442;

export interface StunOptions {
  username: string;
  password: string;
  useCandidate?: boolean;
  /** Flip one bit of the FINGERPRINT. */
  badFingerprint?: boolean;
}

function attr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(value.length, 2);
  return Buffer.concat([h, value, Buffer.alloc(pad)]);
}

/** A Binding request as a controlling full ICE agent sends it (RFC 8445 §7.1.1). */
export function bindingRequest(o: StunOptions): { packet: Buffer; txid: Buffer } {
  const txid = crypto.randomBytes(12);
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e7f1eff, 0);
  let body = Buffer.concat([
    attr(0x0006, Buffer.from(o.username)),
    attr(0x0024, priority),
    attr(0x802a, crypto.randomBytes(8)), // ICE-CONTROLLING
    ...(o.useCandidate ? [attr(0x0025, Buffer.alloc(0))] : []),
  ]);
  const header = (len: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0);
    h.writeUInt16BE(len, 2);
    h.writeUInt32BE(COOKIE, 4);
    txid.copy(h, 8);
    return h;
  };
  // MESSAGE-INTEGRITY: HMAC-SHA1 over the message up to it, its length
  // field counting the attribute itself (RFC 5389 §15.4).
  const mi = crypto.createHmac('sha1', o.password).update(Buffer.concat([header(body.length + 24), body])).digest();
  body = Buffer.concat([body, attr(0x0008, mi)]);
  // FINGERPRINT: CRC-32 of the message up to it, XOR 0x5354554e (§15.5).
  const crc = (zlib.crc32(Buffer.concat([header(body.length + 8), body])) ^ 0x5354554e) >>> 0;
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE(o.badFingerprint ? (crc ^ 1) >>> 0 : crc, 0);
  body = Buffer.concat([body, attr(0x8028, fp)]);
  return { packet: Buffer.concat([header(body.length), body]), txid };
}

