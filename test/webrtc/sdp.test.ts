/**
 * SDP answers to real Chromium offers: what is agreed, what is refused with a
 * 400, and (the real check) that Chromium itself accepts every answer.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as sdpTransform from 'sdp-transform';
import { answerOffer, type LocalParameters, type MidPlan } from '../../src/node/webrtc/sdp/answer';
import { openBrowser } from '../helpers/chromium';

const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/sdp', name), 'utf8');
const local: LocalParameters = {
  iceUfrag: 'agentufrag1',
  icePwd: 'agentpassword0123456789ab',
  fingerprint: {
    algorithm: 'sha-256',
    value: 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  },
  candidates: [{ ip: '127.0.0.1', port: 40000 }],
};
const receiveAll: Record<string, MidPlan> = { '0': { role: 'receive' }, '1': { role: 'receive' } };

t.test('publish offer: opus and VP8 received, extensions and feedback filtered', async (t) => {
  const a = answerOffer(fixture('chromium-publish.sdp'), local, receiveAll);
  t.equal(a.dtlsRole, 'server', 'actpass -> we are the DTLS server');
  t.match(a.remote, { iceUfrag: String, icePwd: String, fingerprint: { algorithm: 'sha-256', value: /^[0-9A-F:]+$/ } });
  const [audio, video] = a.media;
  t.match(audio, { mid: '0', kind: 'audio', accepted: true, codec: { name: 'opus', clockRate: 48000, channels: 2 } });
  t.match(video, { mid: '1', kind: 'video', accepted: true, codec: { name: 'VP8', clockRate: 90000 } });
  t.ok(video!.rtxPayloadType, 'RTX accepted from the publisher');
  t.ok(video!.remoteRtxSsrc && video!.remoteSsrcs.length === 1, 'SSRC and RTX SSRC from the FID group');
  const answered = sdpTransform.parse(a.sdp).media[1]!;
  t.ok(answered.rtp.some((r) => r.codec === 'rtx' && r.payload === video!.rtxPayloadType), 'RTX answered (tied by FID)');
  t.same(video!.codec!.feedback.map((f) => `${f.type} ${f.subtype ?? ''}`.trim()).sort(), ['ccm fir', 'nack', 'nack pli', 'transport-cc']);
  t.same(audio!.codec!.feedback.map((f) => f.type), ['transport-cc'], 'audio: transport-cc only');
  for (const m of [audio!, video!]) {
    t.same(m.extensions.filter((e) => e.uri.includes('transport-wide-cc')).map((e) => e.id), [3], `mid ${m.mid}: transport-wide sequence numbers answered (the agent sends the feedback)`);
  }
  const fb = sdpTransform.parse(a.sdp).media.map((m) => (m.rtcpFb ?? []).filter((f) => f.type === 'transport-cc').map((f) => String(f.payload)));
  t.same(fb, [['111'], ['96']], 'a=rtcp-fb:<pt> transport-cc on both published m-lines');
  t.ok(video!.extensions.some((e) => e.uri.endsWith('sdes:mid')));
  t.notOk(video!.extensions.some((e) => e.uri.includes('video-orientation')), 'unsupported extensions are not answered');
  const parsed = sdpTransform.parse(a.sdp);
  t.equal((parsed as { icelite?: string }).icelite, 'ice-lite');
  t.equal(String(parsed.groups![0]!.mids), '0 1');
  t.same(parsed.media.map((m) => m.direction), ['recvonly', 'recvonly']);
  t.same(parsed.media.map((m) => m.setup), ['passive', 'passive']);
  t.equal(parsed.media[1]!.candidates![0]!.port, 40000);
});

t.test('publish offer with transport-cc feedback but no transport-wide sequence numbers: neither is answered', async (t) => {
  const offer = fixture('chromium-publish.sdp').replace(/a=extmap:\d+ http:\/\/www\.ietf\.org\/id\/draft-holmer-rmcat-transport-wide-cc-extensions-01\r?\n/g, '');
  t.ok(offer.includes('transport-cc'), 'the offer still has a=rtcp-fb transport-cc');
  const a = answerOffer(offer, local, receiveAll);
  t.notOk(a.sdp.includes('transport-cc') || a.sdp.includes('transport-wide-cc'), 'no feedback the agent would have nothing to send in');
  t.same(a.media[1]!.codec!.feedback.map((f) => `${f.type} ${f.subtype ?? ''}`.trim()).sort(), ['ccm fir', 'nack', 'nack pli']);
});

t.test('ICE credentials made of digits stay strings (the SDP parser would make numbers of them)', async (t) => {
  const offer = fixture('chromium-publish.sdp')
    .replace(/a=ice-ufrag:\S+/g, 'a=ice-ufrag:4294')
    .replace(/a=ice-pwd:\S+/g, 'a=ice-pwd:1234567890123456789012');
  const a = answerOffer(offer, local, receiveAll);
  t.equal(a.remote.iceUfrag, '4294');
  t.equal(a.remote.icePwd, '1234567890123456789012');
});

t.test('every field sdp-transform coerces into a number is typed at the parse boundary (no 500 from a digit token)', async (t) => {
  const pub = fixture('chromium-publish.sdp');
  // a=fmtp:<pt> <digits>: the config became the number 11 (`config.split is not a function`).
  const fmtp = answerOffer(pub.replace('a=fmtp:111 ', 'a=fmtp:63 11\r\na=fmtp:111 '), local, receiveAll);
  t.match(fmtp.media[0], { accepted: true, codec: { name: 'opus' } }, 'a=fmtp:63 11 is read as text');
  // A fingerprint algorithm and hash of digits: a clear 400, not `toLowerCase is not a function`.
  t.throws(() => answerOffer(pub.replace(/a=fingerprint:\S+ \S+/g, 'a=fingerprint:1 1'), local, receiveAll), { code: 400, message: /sdp: unsupported fingerprint algorithm 1/ });
  // Numbers out of their range (a payload type of 12 digits, a clock rate beyond 2^53, a 0 extension id) drop their line.
  const wild = answerOffer(
    pub.replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:999999999999 VP8/90000\r\na=rtpmap:96 VP8/90000').replace('a=rtpmap:111 opus/48000/2', 'a=rtpmap:111 opus/99999999999999999999/2\r\na=extmap:0 urn:ietf:params:rtp-hdrext:sdes:mid'),
    local,
    receiveAll,
  );
  t.match(wild.media[1], { accepted: true, codec: { name: 'VP8', payloadType: 96 } });
  t.match(wild.media[0], { accepted: false, reason: 'no codec in common' }, 'opus with an impossible clock rate is not opus');
  t.notOk(wild.media[0]!.extensions.some((e) => e.id === 0));
  // An SSRC group of digits that are no SSRC, an empty m-line port, too many simulcast layers.
  t.match(answerOffer(pub.replace(/a=ssrc-group:FID \d+ \d+/, 'a=ssrc-group:FID 99999999999 1'), local, receiveAll).media[1], { accepted: true, remoteRtxSsrc: undefined });
  t.throws(() => answerOffer(pub.replace('m=audio 9 ', 'm=audio  '), local, receiveAll), { code: 400, message: /port/ });
  const rids = Array.from({ length: 9 }, (_, i) => `a=rid:r${i} send`).join('\r\n');
  t.throws(() => answerOffer(fixture('chromium-simulcast.sdp').replace('a=rid:q send', rids), local, { '0': { role: 'receive' } }), { code: 400, message: /a=rid/ });
});

t.test('Firefox ESR and GStreamer webrtcbin offers are answered', async (t) => {
  const ff = answerOffer(fixture('firefox-publish.sdp'), local, receiveAll);
  t.match(ff.media.map((m) => [m.accepted, m.codec?.name]), [[true, 'opus'], [true, 'VP8']]);
  const sim = answerOffer(fixture('firefox-simulcast.sdp'), local, { '0': { role: 'receive' } });
  t.same(sim.media[0]!.rids.length, 3, 'Firefox simulcast layers received');
  // webrtcbin (bundle-policy max-bundle) offers its second m-line with port 0 and a=bundle-only: it is bundled, not rejected.
  const gst = answerOffer(fixture('webrtcbin-publish.sdp'), local, { audio0: { role: 'receive' }, video1: { role: 'receive' } });
  t.match(gst.media.map((m) => [m.mid, m.accepted, m.codec?.name]), [['audio0', true, 'OPUS'], ['video1', true, 'VP8']]);
});

t.test('codec preference picks H264 (packetization-mode 1) over the offer order', async (t) => {
  const a = answerOffer(fixture('chromium-publish.sdp'), local, { '0': { role: 'receive' }, '1': { role: 'receive', preferred: ['H264', 'VP8'] } });
  t.match(a.media[1]!.codec, { name: 'H264', fmtp: { 'packetization-mode': '1' } });
});

t.test('simulcast offer: the RIDs are received', async (t) => {
  const a = answerOffer(fixture('chromium-simulcast.sdp'), local, { '0': { role: 'receive' } });
  t.same(a.media[0]!.rids, ['q', 'h', 'f']);
  const m = sdpTransform.parse(a.sdp).media[0]!;
  t.same(m.simulcast, { dir1: 'recv', list1: 'q;h;f' });
  // The offer has RTX, but no SSRC ties it to a layer: it is not answered, so
  // the client retransmits on each layer's own SSRC.
  t.ok(fixture('chromium-simulcast.sdp').includes(' rtx/90000'), 'the offer has RTX');
  t.equal(a.media[0]!.rtxPayloadType, undefined);
  t.notOk(m.rtp.some((r) => r.codec.toLowerCase() === 'rtx'), 'no RTX in the simulcast answer');
});

t.test('subscribe offer: the agent sends the publisher format with its SSRC', async (t) => {
  const plans: Record<string, MidPlan> = {
    '0': { role: 'send', send: { format: { name: 'opus', fmtp: {} }, ssrc: 111, cname: 'agent', streamId: 'pub1', trackId: 'a1' } },
    '1': { role: 'send', send: { format: { name: 'VP8', fmtp: {} }, ssrc: 222, cname: 'agent', streamId: 'pub1', trackId: 'v1' } },
  };
  const a = answerOffer(fixture('chromium-subscribe.sdp'), local, plans);
  t.same(a.media.map((m) => m.accepted), [true, true]);
  const parsed = sdpTransform.parse(a.sdp);
  t.same(parsed.media.map((m) => m.direction), ['sendonly', 'sendonly']);
  t.same(parsed.media[1]!.ssrcs!.map((s) => Number(s.id)), [222, 222]);
  t.notOk(a.media[1]!.extensions.some((e) => e.uri.includes('rtp-stream-id')), 'no RID extensions towards a subscriber');
  t.notOk(a.sdp.includes('transport-wide-cc') || a.sdp.includes('transport-cc'), 'no transport-cc towards a subscriber unless the plan says the agent estimates there');
  // With send-side estimation on: the extension and the feedback on both m-lines.
  const twcc = answerOffer(fixture('chromium-subscribe.sdp'), local, {
    '0': { role: 'send', send: { ...plans['0']!.send!, transportCc: true } },
    '1': { role: 'send', send: { ...plans['1']!.send!, transportCc: true } },
  });
  const twccMedia = sdpTransform.parse(twcc.sdp).media;
  t.same(twccMedia.map((m) => (m.ext ?? []).filter((e) => e.uri.includes('transport-wide-cc')).length), [1, 1], 'a=extmap transport-wide-cc on both sent m-lines');
  t.same(twccMedia.map((m) => (m.rtcpFb ?? []).filter((f) => f.type === 'transport-cc').map((f) => Number(f.payload))), [[111], [96]], 'a=rtcp-fb transport-cc for the sent codec');
  t.same(twcc.media.map((m) => m.extensions.some((e) => e.uri.includes('transport-wide-cc'))), [true, true]);
  t.notOk(parsed.media[1]!.rtp.some((r) => r.codec === 'rtx'), 'no RTX answered without an RTX SSRC in the plan');
  const withRtx = answerOffer(fixture('chromium-subscribe.sdp'), local, {
    '1': { role: 'send', send: { format: { name: 'VP8', fmtp: {} }, ssrc: 222, rtxSsrc: 333, cname: 'agent', streamId: 'pub1', trackId: 'v1' } },
  });
  const rtxMedia = sdpTransform.parse(withRtx.sdp).media[1]!;
  const vp8 = rtxMedia.rtp.find((r) => r.codec === 'VP8')!.payload;
  const rtxPt = withRtx.media[1]!.rtxPayloadType!;
  t.ok(rtxMedia.rtp.some((r) => r.codec === 'rtx' && r.payload === rtxPt), 'RTX answered towards a subscriber that offers it');
  t.equal(rtxMedia.fmtp.find((f) => f.payload === rtxPt)!.config, `apt=${vp8}`);
  t.same(rtxMedia.ssrcGroups, [{ semantics: 'FID', ssrcs: '222 333' }]);
  t.same([...new Set(rtxMedia.ssrcs!.map((s) => Number(s.id)))], [222, 333]);
  const h264 = answerOffer(fixture('chromium-subscribe.sdp'), local, {
    '1': { role: 'send', send: { format: { name: 'H264', fmtp: { 'packetization-mode': '1', 'profile-level-id': '42e01f', 'level-asymmetry-allowed': '1' } }, ssrc: 5, cname: 'c', streamId: 's', trackId: 't' } },
  });
  t.match(h264.media[1]!.codec, { name: 'H264' }, 'same H264 profile found');
  const av = answerOffer(fixture('chromium-subscribe.sdp'), local, {
    '1': { role: 'send', send: { format: { name: 'H265', fmtp: {} }, ssrc: 5, cname: 'c', streamId: 's', trackId: 't' } },
  });
  t.match(av.media[1], { accepted: false, reason: /cannot receive H265/ });
  t.match(av.media[0], { accepted: false, reason: 'not part of any operation' });
});

// Offers captured from Firefox ESR 153 and GStreamer 1.22 webrtcbin on
// this machine (test/fixtures/sdp): max-bundle puts every m-line after the
// first at port 0 with a=bundle-only.
t.test('bundle-only m-lines of the BUNDLE group are answered in it (RFC 8843, JSEP 5.3.1): Firefox and webrtcbin, publish and subscribe', async (t) => {
  const send = (mid: string, name: string, ssrc: number): MidPlan => ({ role: 'send', send: { format: { name, fmtp: {} }, ssrc, cname: 'agent', streamId: 'p', trackId: `t${mid}` } });
  const cases: Array<[string, Record<string, MidPlan>, string]> = [
    ['firefox-publish-max-bundle.sdp', receiveAll, '0 1'],
    ['firefox-publish-balanced.sdp', receiveAll, '0 1'],
    ['firefox-subscribe-max-bundle.sdp', { '0': send('0', 'opus', 11), '1': send('1', 'VP8', 22) }, '0 1'],
    ['webrtcbin-publish-max-bundle.sdp', { video0: { role: 'receive' }, audio1: { role: 'receive' } }, 'video0 audio1'],
    ['webrtcbin-publish-max-compat.sdp', { video0: { role: 'receive' }, audio1: { role: 'receive' } }, 'video0 audio1'],
    ['webrtcbin-subscribe-max-bundle.sdp', { audio0: send('audio0', 'opus', 11), video1: send('video1', 'VP8', 22) }, 'audio0 video1'],
  ];
  for (const [name, plans, mids] of cases) {
    const offer = fixture(name);
    const a = answerOffer(offer, local, plans);
    t.same(a.media.map((m) => [m.mid, m.accepted, m.reason]), mids.split(' ').map((mid) => [mid, true, undefined]), `${name}: every m-line accepted`);
    const parsed = sdpTransform.parse(a.sdp);
    t.equal(String(parsed.groups?.[0]?.mids), mids, `${name}: all in the answer's BUNDLE group`);
    // Every accepted m-line carries the transport in full (port, ICE,
    // fingerprint, setup): webrtcbin refuses an answer m-line without a
    // fingerprint, browsers take the first m-line's.
    for (const m of parsed.media) {
      t.match(m, { port: 40000, iceUfrag: local.iceUfrag, setup: 'passive', fingerprint: { hash: local.fingerprint.value } }, `${name}: mid ${m.mid} answered with the transport`);
      t.notOk((m as { bundleOnly?: string }).bundleOnly, `${name}: mid ${m.mid}: no bundle-only in the answer`);
    }
  }
  // A port-0 m-line without bundle-only is still a rejection, and so is a
  // bundle-only one outside the group.
  const ff = fixture('firefox-publish-max-bundle.sdp');
  const rejected = answerOffer(ff.replace(/a=bundle-only\r?\n/, ''), local, receiveAll);
  t.match(rejected.media[1], { accepted: false, reason: 'rejected by the offerer' });
  t.equal(String(sdpTransform.parse(rejected.sdp).groups?.[0]?.mids), '0');
  const outside = answerOffer(ff.replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 0'), local, receiveAll);
  t.match(outside.media[1], { accepted: false, reason: 'rejected by the offerer' });
});

t.test('renegotiation: a re-offer with a new bundle-only m-line (Firefox adds a subscription)', async (t) => {
  // JSEP 5.2.2: a re-offer keeps the negotiated m-lines at their ports and
  // offers a new one bundle-only. Built from Firefox's own m-lines.
  const pub = fixture('firefox-publish-max-bundle.sdp');
  const video = pub.slice(pub.indexOf('m=video'));
  const added = video.replace(/a=mid:1/, 'a=mid:2').replace(/a=sendonly/, 'a=recvonly').replace(/a=ssrc.*\r?\n/g, '').replace(/a=msid.*\r?\n/, '');
  const reoffer = pub.replace('m=video 0', 'm=video 9').replace(/a=bundle-only\r?\n/, '').replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 0 1 2') + added;
  t.equal((reoffer.match(/a=bundle-only/g) ?? []).length, 1, 'only the new m-line is bundle-only');
  const a = answerOffer(reoffer, local, { ...receiveAll, '2': { role: 'send', send: { format: { name: 'VP8', fmtp: {} }, ssrc: 33, cname: 'agent', streamId: 'p', trackId: 'v' } } });
  t.same(a.media.map((m) => [m.mid, m.role, m.accepted]), [['0', 'receive', true], ['1', 'receive', true], ['2', 'send', true]]);
  t.equal(String(sdpTransform.parse(a.sdp).groups?.[0]?.mids), '0 1 2');
});

t.test('header extensions with a direction (RFC 8285): answered with the matching direction', async (t) => {
  // Firefox simulcast: a=extmap:9/sendonly rtp-stream-id, 10/sendonly repaired-rtp-stream-id.
  const offer = fixture('firefox-simulcast-max-bundle.sdp');
  t.match(offer, /a=extmap:9\/sendonly urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id/);
  const a = answerOffer(offer, local, { '0': { role: 'receive' }, '1': { role: 'receive' } });
  const video = a.media[1]!;
  t.match(video, { accepted: true, rids: ['q', 'h', 'f'] });
  t.same(
    video.extensions.filter((e) => e.uri.includes('rtp-stream-id')).map((e) => [e.id, e.uri.split(':').at(-1), e.direction]),
    [[9, 'rtp-stream-id', 'recvonly'], [10, 'repaired-rtp-stream-id', 'recvonly']],
  );
  const m = sdpTransform.parse(a.sdp).media[1]!;
  t.ok(a.sdp.includes('a=extmap:9/recvonly urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id'), 'written as 9/recvonly');
  t.same(m.simulcast, { dir1: 'recv', list1: 'q;h;f' });
  // An extension only the agent would send (recvonly from the client's
  // side, e.g. playout-delay) is left out of a publication's answer.
  t.match(offer, /a=extmap:6\/recvonly .*playout-delay/);
  t.notOk(video.extensions.some((e) => e.id === 6));
  // Towards a subscriber: a recvonly extension is usable, answered sendonly;
  // a sendonly one (only the client would send it) is not.
  const sub = fixture('firefox-subscribe-max-bundle.sdp').replace(/a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid/g, 'a=extmap:3/recvonly urn:ietf:params:rtp-hdrext:sdes:mid');
  const plans: Record<string, MidPlan> = { '1': { role: 'send', send: { format: { name: 'VP8', fmtp: {} }, ssrc: 5, cname: 'c', streamId: 's', trackId: 't' } } };
  t.same(answerOffer(sub, local, plans).media[1]!.extensions.find((e) => e.uri.endsWith('sdes:mid')), { id: 3, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', direction: 'sendonly' });
  const subSendonly = sub.replace(/3\/recvonly/g, '3/sendonly');
  t.notOk(answerOffer(subSendonly, local, plans).media[1]!.extensions.some((e) => e.uri.endsWith('sdes:mid')));
});

t.test('no BUNDLE: every m-line is a transport of its own, answered with its own ICE credentials (webrtcbin bundle-policy=balanced)', async (t) => {
  const gst = fixture('webrtcbin-publish-balanced.sdp');
  t.notOk(gst.includes('a=group:BUNDLE'), 'webrtcbin balanced offers no BUNDLE');
  const perLeg = (leg: string): LocalParameters => ({ ...local, iceUfrag: `ufrag-${leg}`, icePwd: `pwd-${leg}-0123456789abcdef` });
  const a = answerOffer(gst, perLeg, { video0: { role: 'receive' }, audio1: { role: 'receive' } });
  t.match(a.media, [{ mid: 'video0', accepted: true, codec: { name: 'VP8' } }, { mid: 'audio1', accepted: true, codec: { name: 'OPUS' } }]);
  const offered = sdpTransform.parse(gst).media;
  t.same(
    a.legs.map((l) => [l.key, l.mids, l.remote.iceUfrag, l.dtlsRole]),
    [
      ['video0', ['video0'], offered[0]!.iceUfrag, 'server'],
      ['audio1', ['audio1'], offered[1]!.iceUfrag, 'server'],
    ],
    "one leg per m-line, each with the offer's own ufrag",
  );
  const parsed = sdpTransform.parse(a.sdp);
  t.same(parsed.groups ?? [], [], 'no BUNDLE in the answer either');
  for (const m of parsed.media) {
    t.match(m, { port: 40000, iceUfrag: `ufrag-${m.mid}`, setup: 'passive', fingerprint: { hash: local.fingerprint.value }, candidates: [{ port: 40000 }] }, `mid ${m.mid}: its own ICE credentials, the candidate and fingerprint`);
  }
  // One m-line without BUNDLE: one leg, answered alone.
  const single = gst.slice(0, gst.indexOf('m=audio'));
  const one = answerOffer(single, local, { video0: { role: 'receive' } });
  t.match(one.legs, [{ key: 'video0', mids: ['video0'] }]);
  // Groups and loose m-lines mixed: a group is one leg, a loose m-line another.
  const chromium = fixture('chromium-publish.sdp');
  const mixed = answerOffer(chromium.replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 1'), local, receiveAll);
  t.same(mixed.legs.map((l) => [l.key, l.mids]), [['0', ['0']], ['1', ['1']]]);
  t.same(sdpTransform.parse(mixed.sdp).groups, [{ type: 'BUNDLE', mids: '1' }], 'the group is answered as a group');
  t.throws(() => answerOffer(chromium.replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 0 1\r\na=group:BUNDLE 1'), local, receiveAll), { code: 400, field: 'sdp', message: /mid 1 is in two BUNDLE groups/ });
});

t.test('malformed or unsupported offers are 400 with the reason', async (t) => {
  const pub = fixture('chromium-publish.sdp');
  const cases: Array<[string, RegExp]> = [
    ['hello', /^sdp: not a session description/],
    [pub.replace(/a=rtcp-mux\r?\n/g, ''), /rtcp-mux is required/],
    [pub.replace(/a=fingerprint:.*\r?\n/g, ''), /fingerprint is required/],
    [pub.replace(/a=fingerprint:sha-256/g, 'a=fingerprint:md5'), /unsupported fingerprint algorithm/],
    [pub.replace(/a=ice-ufrag:.*\r?\n/g, ''), /ice-ufrag and ice-pwd/],
    [pub.replace(/a=sendonly/g, 'a=recvonly'), /does not send on an m-line it publishes/],
  ];
  for (const [sdp, re] of cases) {
    t.throws(() => answerOffer(sdp, local, receiveAll), { code: 400, field: 'sdp', message: re });
  }
});

t.test('Chromium accepts the answers (publish, simulcast, subscribe)', async (t) => {
  const { newPage } = await openBrowser(t);
  const page = await newPage();
  const result = await page.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
    const w = window as unknown as Record<string, unknown>;
    const pcs: Record<string, RTCPeerConnection> = {};
    const offers: Record<string, string> = {};
    pcs.publish = new RTCPeerConnection();
    pcs.publish.addTransceiver(s.getAudioTracks()[0]!, { direction: 'sendonly' });
    pcs.publish.addTransceiver(s.getVideoTracks()[0]!, { direction: 'sendonly' });
    pcs.simulcast = new RTCPeerConnection();
    pcs.simulcast.addTransceiver(s.getVideoTracks()[0]!, { direction: 'sendonly', sendEncodings: [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }] });
    pcs.subscribe = new RTCPeerConnection();
    pcs.subscribe.addTransceiver('audio', { direction: 'recvonly' });
    pcs.subscribe.addTransceiver('video', { direction: 'recvonly' });
    for (const [k, pc] of Object.entries(pcs)) {
      const o = await pc.createOffer();
      await pc.setLocalDescription(o);
      offers[k] = o.sdp!;
    }
    w.pcs = pcs;
    return offers;
  });
  const answers: Record<string, string> = {
    publish: answerOffer(result.publish!, local, receiveAll).sdp,
    simulcast: answerOffer(result.simulcast!, local, { '0': { role: 'receive' } }).sdp,
    subscribe: answerOffer(result.subscribe!, local, {
      '0': { role: 'send', send: { format: { name: 'opus', fmtp: {} }, ssrc: 111, cname: 'agent', streamId: 'p', trackId: 'a' } },
      '1': { role: 'send', send: { format: { name: 'VP8', fmtp: {} }, ssrc: 222, cname: 'agent', streamId: 'p', trackId: 'v' } },
    }).sdp,
  };
  const applied = await page.evaluate(async (answers) => {
    const pcs = (window as unknown as { pcs: Record<string, RTCPeerConnection> }).pcs;
    const out: Record<string, string> = {};
    for (const [k, sdp] of Object.entries(answers)) {
      try {
        await pcs[k]!.setRemoteDescription({ type: 'answer', sdp });
        out[k] = pcs[k]!.getTransceivers().map((x) => x.currentDirection).join(',');
      } catch (err) {
        out[k] = `error: ${(err as Error).message}`;
      }
    }
    return out;
  }, answers);
  t.same(applied, { publish: 'sendonly,sendonly', simulcast: 'sendonly', subscribe: 'recvonly,recvonly' });
});
