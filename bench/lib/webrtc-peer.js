/**
 * What drives bench/tools/webrtc_peer (the SRTP load client) besides its
 * stdin protocol: building it (and c_forwarder_srtp) against the addon's
 * own protocol code and Debian's OpenSSL, the SDP offers a peer makes, and
 * the parameters a `peer` command takes from the agent's answer. Shared by
 * bench/fanout.js and the test that runs the client against a real agent
 * (test/bench/webrtc-peer.test.ts).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const sdpTransform = require('sdp-transform');

const ROOT = path.resolve(__dirname, '../..');
const TOOLS = path.join(ROOT, 'bench/tools');
const TWCC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/** True if bin is missing or older than any of its sources. */
function stale(bin, sources) {
  if (!fs.existsSync(bin)) return true;
  const t = fs.statSync(bin).mtimeMs;
  return sources.some((s) => fs.statSync(s).mtimeMs > t);
}

const addonFiles = (dir) =>
  fs
    .readdirSync(path.join(ROOT, 'addon', dir))
    .filter((f) => f.endsWith('.cc') || f.endsWith('.h'))
    .map((f) => path.join(ROOT, 'addon', dir, f));
const cxxFlags = ['-std=c++17', '-O2', '-fno-exceptions', '-Wall', '-Wextra', '-I', path.join(ROOT, 'addon')];
const headers = ['common.h', 'gen_pacer.h', 'sink_stats.h', 'srtp_c.h', 'webrtc_peer_room.h'].map((h) => path.join(TOOLS, h));
const shim = path.join(TOOLS, 'srtp_c.cc');

/** Builds binDir/webrtc_peer if stale; returns its path. */
function buildWebrtcPeer(binDir) {
  fs.mkdirSync(binDir, { recursive: true });
  const bin = path.join(binDir, 'webrtc_peer');
  const src = path.join(TOOLS, 'webrtc_peer.cc');
  const deps = [...addonFiles('srtp'), ...addonFiles('dtls'), path.join(ROOT, 'addon/ice/stun_message.cc'), path.join(ROOT, 'addon/ice/stun_message.h'), path.join(ROOT, 'addon/rtp/byte_io.h'),
    ...['rtp_packet', 'twcc_feedback'].flatMap((f) => [path.join(ROOT, `addon/rtp/${f}.cc`), path.join(ROOT, `addon/rtp/${f}.h`)])];
  if (stale(bin, [src, shim, ...headers, ...deps])) {
    execFileSync('g++', [...cxxFlags, src, shim, ...deps.filter((f) => f.endsWith('.cc')), '-lssl', '-lcrypto', '-o', bin], { stdio: 'inherit' });
  }
  return bin;
}

/** Builds binDir/c_forwarder_srtp (c_forwarder.c with -DWITH_SRTP) if stale; returns its path. */
function buildSrtpForwarder(binDir) {
  fs.mkdirSync(binDir, { recursive: true });
  const bin = path.join(binDir, 'c_forwarder_srtp');
  const src = path.join(TOOLS, 'c_forwarder.c');
  const srtp = addonFiles('srtp');
  if (stale(bin, [src, shim, ...headers, ...srtp])) {
    const obj = path.join(binDir, 'c_forwarder_srtp.o');
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-DWITH_SRTP', '-c', src, '-o', obj], { stdio: 'inherit' });
    execFileSync('g++', [...cxxFlags, obj, shim, ...srtp.filter((f) => f.endsWith('.cc')), '-lcrypto', '-o', bin], { stdio: 'inherit' });
  }
  return bin;
}

/** ICE credentials for one peer (ice-chars, RFC 8445 §5.3). */
function iceCredentials() {
  const chars = (n) => randomBytes(n).toString('base64').replace(/[^A-Za-z0-9+/]/g, 'x').slice(0, n);
  return { ufrag: chars(8), pwd: chars(24) };
}

/** The lines every m-line of a peer's offer carries: connection, ICE, DTLS. */
const transportLines = (ice, fingerprint) => [
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  `a=ice-ufrag:${ice.ufrag}`,
  `a=ice-pwd:${ice.pwd}`,
  `a=fingerprint:${fingerprint}`,
  'a=setup:actpass',
];

/**
 * The offer of one peer: BUNDLE, rtcp-mux, one video m-line (VP8 at
 * payloadType: the agent forwards opaque RTP), setup:actpass.
 * direction 'sendonly' (the publisher, with its SSRC) or 'recvonly'.
 * twccExt: offer the transport-wide sequence number with this id and
 * transport-cc feedback (a subscriber: the agent then estimates towards it).
 */
function offerSdp({ ice, fingerprint, direction, ssrc, payloadType = 96, twccExt = 0 }) {
  const lines = [
    'v=0',
    `o=- ${randomBytes(6).readUIntBE(0, 6)} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS',
    `m=video 9 UDP/TLS/RTP/SAVPF ${payloadType}`,
    ...transportLines(ice, fingerprint),
    'a=mid:0',
    `a=${direction}`,
    'a=rtcp-mux',
    `a=rtpmap:${payloadType} VP8/90000`,
    `a=rtcp-fb:${payloadType} nack`,
    `a=rtcp-fb:${payloadType} nack pli`,
  ];
  if (twccExt) lines.push(`a=extmap:${twccExt} ${TWCC_URI}`, `a=rtcp-fb:${payloadType} transport-cc`);
  if (direction === 'sendonly') {
    lines.push('a=msid:bench video', `a=ssrc:${ssrc} cname:bench`, `a=ssrc:${ssrc} msid:bench video`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

const EXT = {
  level: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  rid: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
};
/** Header extension ids a room offer uses (Chromium's numbers). */
const ROOM_EXT_IDS = { level: 1, mid: 4, rid: 10 };

/**
 * The offer of one conference participant's transport (bench/room.js):
 * BUNDLE over m-lines `mlines`, each {kind: 'audio'|'video', direction:
 * 'sendonly'|'recvonly', ssrc?, rids?}. Audio is Opus (pt 111) with the
 * audio-level and MID extensions; video VP8 (pt 96) with MID and, for
 * simulcast (`rids`, lowest first), the RID extension, a=rid and
 * a=simulcast; a sending m-line without rids names its SSRC.
 */
function roomOfferSdp({ ice, fingerprint, mlines }) {
  const mids = mlines.map((_, i) => String(i));
  const lines = ['v=0', `o=- ${randomBytes(6).readUIntBE(0, 6)} 2 IN IP4 127.0.0.1`, 's=-', 't=0 0', `a=group:BUNDLE ${mids.join(' ')}`, 'a=msid-semantic: WMS'];
  mlines.forEach((m, i) => {
    const audio = m.kind === 'audio';
    const pt = audio ? 111 : 96;
    lines.push(
      `m=${m.kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
      ...transportLines(ice, fingerprint),
      `a=mid:${i}`,
      `a=extmap:${ROOM_EXT_IDS.mid} ${EXT.mid}`,
      `a=${m.direction}`,
      'a=rtcp-mux',
      'a=rtcp-rsize',
    );
    if (audio) lines.push(`a=extmap:${ROOM_EXT_IDS.level} ${EXT.level}`, `a=rtpmap:${pt} opus/48000/2`, `a=fmtp:${pt} minptime=10;useinbandfec=1`);
    else lines.push(`a=extmap:${ROOM_EXT_IDS.rid} ${EXT.rid}`, `a=rtpmap:${pt} VP8/90000`, `a=rtcp-fb:${pt} nack`, `a=rtcp-fb:${pt} nack pli`, `a=rtcp-fb:${pt} ccm fir`);
    if (m.direction === 'sendonly') {
      lines.push(`a=msid:room-${i} track-${i}`);
      if (m.rids) {
        for (const r of m.rids) lines.push(`a=rid:${r} send`);
        lines.push(`a=simulcast:send ${m.rids.join(';')}`);
      } else {
        lines.push(`a=ssrc:${m.ssrc} cname:room`, `a=ssrc:${m.ssrc} msid:room-${i} track-${i}`);
      }
    }
  });
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * What a room answer says per m-line: {mid, rejected, ext: {level, mid,
 * rid}} with the extension ids the agent kept (0: not kept).
 */
function answerMlines(answerSdp) {
  return sdpTransform.parse(answerSdp).media.map((m) => {
    const id = (uri) => (m.ext ?? []).find((e) => e.uri === uri)?.value ?? 0;
    return { mid: String(m.mid), rejected: m.port === 0, ext: { level: id(EXT.level), mid: id(EXT.mid), rid: id(EXT.rid) } };
  });
}

/**
 * The agent's answer -> the arguments of webrtc_peer's `peer` command after
 * the index: "IP:PORT LOCAL_UFRAG REMOTE_UFRAG REMOTE_PWD SETUP HASH VALUE".
 * Throws if the answer lacks what a peer needs (it would be a bug here).
 */
function peerArgs(answerSdp, ice) {
  const a = sdpTransform.parse(answerSdp);
  const m = a.media[0];
  if (!m || m.port === 0) throw new Error('answer rejected the m-line');
  const cand = (m.candidates ?? []).find((c) => c.transport.toLowerCase() === 'udp' && /^\d+\.\d+\.\d+\.\d+$/.test(c.ip));
  const ufrag = m.iceUfrag ?? a.iceUfrag;
  const pwd = m.icePwd ?? a.icePwd;
  const fp = m.fingerprint ?? a.fingerprint;
  const setup = m.setup ?? a.setup;
  if (!cand || !ufrag || !pwd || !fp || !setup) throw new Error(`answer lacks a candidate, ICE credentials, fingerprint or setup:\n${answerSdp}`);
  return `${cand.ip}:${cand.port} ${ice.ufrag} ${ufrag} ${pwd} ${setup} ${fp.type} ${fp.hash}`;
}

module.exports = { buildWebrtcPeer, buildSrtpForwarder, iceCredentials, offerSdp, peerArgs, roomOfferSdp, answerMlines };
