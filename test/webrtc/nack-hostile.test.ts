/**
 * Hostile NACKs from a WebRTC subscriber cost bounded bytes. A plain-RTP
 * publisher (the test's UDP socket, ~100 packets/s of 1 KB) feeds a video
 * track; werift (a WebRTC stack from npm: its own ICE, DTLS, SRTP) subscribes
 * to it, offering RTX, and then sends NACKs no honest receiver sends, SRTCP
 * protected like its own: one sequence number listed 480 times in one NACK
 * (as many as fit the agent's 2 KB datagram; the unit test takes the
 * 4,096 the parser allows), then a flood of NACKs naming the last 30
 * packets received (the send buffer keeps 1 s) twice, 100 per second. What the agent sends back is counted on the
 * subscriber's side (every packet werift's receiver hands to the track,
 * repairs unwrapped from RTX included) and in getStats.
 */
import t from 'tap';
import { randomInt } from 'node:crypto';
import { RTCPeerConnection, RTCRtpCodecParameters, type RtpPacket } from 'werift';
import { waitFor } from '../helpers/agent';
import { buildRtp, UdpPeer } from '../helpers/rtp';
import { controllerAgent, nextEvent } from '../helpers/webrtc';

const CONTROLLER = 'nack-ctl';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A generic NACK (RFC 4585 §6.2.1) with one (PID, BLP=0) pair per entry of `seqs`: an object werift's sendRtcp serialises as is. */
function rawNack(sender: number, media: number, seqs: number[]) {
  const b = Buffer.alloc(12 + 4 * seqs.length);
  b[0] = 0x81;
  b[1] = 205;
  b.writeUInt16BE(2 + seqs.length, 2);
  b.writeUInt32BE(sender, 4);
  b.writeUInt32BE(media, 8);
  seqs.forEach((s, i) => b.writeUInt16BE(s & 0xffff, 12 + 4 * i));
  return { serialize: () => b };
}

t.test('one number NACKed 480 times is re-sent once; a NACK flood is held to the budget; repairs come as RTX', async (t) => {
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER);
  const on = await nodeFor('room-nack', 'n');

  // The publisher: plain RTP into a comedia transport.
  const pub = await UdpPeer.open(t);
  const plain = await on('createPlainTransport', { transportId: 'p', comedia: true });
  await on('publishTrack', { transportId: 'p', trackId: 'v', kind: 'video', ssrc: 4242, payloadType: 96 });
  let seq = randomInt(0, 60000);
  let sentMedia = 0;
  const payload = Buffer.alloc(1000, 7);
  let running = true;
  const pump = (async () => {
    const until = Date.now() + 30_000;
    while (running && Date.now() < until) {
      await pub.send(buildRtp({ ssrc: 4242, seq: seq++ & 0xffff, ts: seq * 900, pt: 96, payload }), plain.port);
      sentMedia++;
      await sleep(10);
    }
  })();
  t.teardown(async () => {
    running = false;
    await pump;
  });

  // The subscriber: werift, VP8 with NACK, and RTX (apt=96).
  const pc = new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, rtcpFeedback: [{ type: 'nack' }] }),
        new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000, payloadType: 97, parameters: 'apt=96' }),
      ],
    },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1' && pair.remoteCandidate.host === '127.0.0.1',
  });
  t.teardown(() => pc.close());
  const transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
  const got: number[] = [];
  transceiver.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((p: RtpPacket) => void got.push(p.header.sequenceNumber));
  });
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor(() => pc.iceGatheringState === 'complete', 10_000, 'werift gathered');
  const sdp = pc.localDescription!.sdp;
  const mid = /a=mid:(\S+)/.exec(sdp)![1]!;
  await on('createTransport', { transportId: 's', controller: CONTROLLER });
  await on('subscribe', {
    operationId: 's-sub',
    connectionType: 'webrtc',
    options: { transportId: 's', controller: CONTROLLER, tracks: [{ mid, type: 'video', from: 'v', formatPreference: { preferred: { codec: 'vp8' } } }] },
  });
  await on('onTransportSignaling', { transportId: 's', message: { type: 'offer', sdp } });
  const answer = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 's' && p.status.type === 'answer', 'answer for werift');
  const fid = /a=ssrc-group:FID (\d+) (\d+)/.exec(answer.status.sdp);
  t.ok(fid, 'the answer ties an RTX SSRC to the video SSRC (FID)');
  const mediaSsrc = Number(fid![1]);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.status.sdp });
  await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 's' && p.status.type === 'ready', 'werift transport ready');
  await waitFor(() => got.length > 50, 10_000, 'werift receives the stream');
  const dtls = transceiver.receiver.dtlsTransport;
  const stats = async () => (await on('getStats', {})).subscriptions.find((s: { transportId: string }) => s.transportId === 's');
  const dupCount = () => got.length - new Set(got).size;

  // One number, 480 times: one repair (a duplicate of a packet werift has).
  const target = got[got.length - 5]!;
  const before = await stats();
  const dupsBefore = dupCount();
  await dtls.sendRtcp([rawNack(1234, mediaSsrc, new Array(480).fill(target))] as never);
  await waitFor(async () => (await stats()).nackPackets >= before.nackPackets + 480, 5000, 'the NACK is read');
  await sleep(300);
  const one = await stats();
  t.equal(one.retransmitted - before.retransmitted, 1, 're-sent once');
  t.equal(one.nackDuplicates - before.nackDuplicates, 479, 'the 479 repeats counted as duplicates');
  t.equal(one.rtxSent - before.rtxSent, 1, 'as RTX');
  t.equal(one.rtxSsrc, Number(fid![2]), 'on the answered RTX SSRC');
  t.equal(dupCount() - dupsBefore, 1, 'werift unwrapped exactly one repair into the stream');

  // The flood: 100 NACKs a second for 2 s, each naming the last 30
  // packets werift received twice over (~0.3 s of the stream: in the send
  // buffer, which keeps a packet for 1 s, unless werift lags behind).
  const floodStart = await stats();
  const gotBefore = got.length;
  const mediaBefore = sentMedia;
  const until = Date.now() + 2000;
  let nacks = 0;
  while (Date.now() < until) {
    const recent = got.slice(-30);
    await dtls.sendRtcp([rawNack(1234, mediaSsrc, [...recent, ...recent])] as never);
    nacks++;
    await sleep(10);
  }
  await sleep(300);
  const flood = await stats();
  const media = sentMedia - mediaBefore;
  const received = got.length - gotBefore;
  const resent = flood.retransmitted - floodStart.retransmitted;
  t.ok(nacks >= 50, `${nacks} NACKs sent (${nacks * 60} numbers)`);
  // The budget: a quarter of the media bytes plus at most 48 KB of credit
  // (40 packets of 1,012 bytes: the stored size).
  t.ok(resent > 0, `some repairs went out (${resent})`);
  t.ok(resent <= media * 0.25 + 48 + 5, `re-sends within the budget: ${resent} for ${media} media packets`);
  t.ok(received <= media * 1.25 + 60, `werift received ${received} packets while ${media} media packets were sent`);
  const bytesRe = flood.retransmittedBytes - floodStart.retransmittedBytes;
  t.ok(bytesRe <= media * 1012 * 0.25 + 48_000, `re-sent bytes ${bytesRe} within the budget`);
  t.ok(flood.nackTooSoon + flood.nackTooMany + flood.nackOverBudget > 0, 'refusals counted by reason');
  // A number werift names after 1 s is a miss (it cannot be played any
  // more); werift behind by that much on a busy machine loses a few.
  t.ok(flood.nackMissed <= nacks * 60 * 0.25, `most NACKed numbers were in the buffer (${flood.nackMissed} missed)`);
  await on('destroyTransport', { transportId: 's' });
});
