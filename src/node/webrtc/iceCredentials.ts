/** Random ICE credentials (RFC 8839: ice-char = ALPHA / DIGIT / "+" / "/"). */
import { randomInt } from 'node:crypto';

const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function iceString(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ICE_CHARS[randomInt(ICE_CHARS.length)];
  return s;
}

/** ufrag 8 characters (at least 4), pwd 24 (at least 22). */
export function iceCredentials(): { ufrag: string; pwd: string } {
  return { ufrag: iceString(8), pwd: iceString(24) };
}
