/**
 * A real tool nobody here wrote: GStreamer encodes VP8, sends it to the agent
 * as plain RTP, and a second GStreamer decodes what the agent forwards, on
 * the publisher's node thread and on another node thread (through a ring).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { natsClient, startNats } from '../helpers/nats';
import { request, startAgent, testConfig } from '../helpers/agent';

const FRAMES = 60;

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a decoder on `port`; resolve() stops it and counts decoded frames. */
function startDecoder(port: number): { stop: () => Promise<number> } {
  const child = spawn(
    'gst-launch-1.0',
    [
      '-v', '-e',
      'udpsrc', `port=${port}`, 'address=127.0.0.1',
      'caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96',
      '!', 'rtpjitterbuffer', 'latency=500',
      '!', 'rtpvp8depay', '!', 'vp8dec',
      '!', 'fakesink', 'silent=false', 'sync=false',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return {
    stop: () =>
      new Promise((resolve) => {
        const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(killer);
          resolve((out.match(/last-message = chain/g) ?? []).length);
        });
        child.kill('SIGINT');
      }),
  };
}

function encode(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(
      'gst-launch-1.0',
      [
        '-q',
        'videotestsrc', `num-buffers=${FRAMES}`, 'is-live=true',
        '!', 'video/x-raw,width=320,height=240,framerate=30/1',
        '!', 'vp8enc', 'deadline=1', 'keyframe-max-dist=15',
        '!', 'rtpvp8pay', 'pt=96', 'ssrc=1234',
        '!', 'udpsink', 'host=127.0.0.1', `port=${port}`,
      ],
      { stdio: 'ignore' },
    );
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve(code);
    });
  });
}

// scripts/setup.sh installs GStreamer; without it this test fails, by design.
t.test('GStreamer VP8 in, GStreamer decodes it out, same node and across nodes', async (t) => {
  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1' }));
  const nc = await natsClient(t, nats.url);
  const call = (nodeId: string, m: string, a: unknown) => request(nc, agent.subjects.node(nodeId, m), a);
  const getNode = async (room: string) => (await request(nc, agent.subjects.agent('getNode'), { room, task: 't' })).nodeId as string;
  const A = await getNode('a');
  const B = await getNode('b');
  t.not(A, B);

  const pub = await call(A, 'createPlainTransport', { transportId: 'gst-pub' });
  await call(A, 'publishTrack', { transportId: 'gst-pub', trackId: 'vp8', kind: 'video', payloadType: 96 });
  const decoders = [];
  for (const [i, nodeId] of [A, B].entries()) {
    const port = await freeUdpPort();
    await call(nodeId, 'createPlainTransport', { transportId: `gst-sub${i}` });
    await call(nodeId, 'connectPlainTransport', { transportId: `gst-sub${i}`, ip: '127.0.0.1', port });
    await call(nodeId, 'subscribeTrack', { transportId: `gst-sub${i}`, trackId: 'vp8', subscriptionId: `dec${i}` });
    decoders.push(startDecoder(port));
  }
  await new Promise((r) => setTimeout(r, 1500)); // decoders up (slow to start on a loaded machine)
  t.equal(await encode(pub.port), 0, 'the encoder ran to the end');
  await new Promise((r) => setTimeout(r, 1000)); // the jitter buffer drains
  const [same, cross] = await Promise.all(decoders.map((d) => d.stop()));
  t.comment(`decoded frames: same node ${same}/${FRAMES}, other node ${cross}/${FRAMES}`);
  // Loopback loses nothing; the margin is for a loaded CI machine where the
  // decoder may start late and miss the first key frame's group.
  t.ok(same! >= FRAMES * 0.8, `same-node subscriber decoded ${same} of ${FRAMES} frames`);
  t.ok(cross! >= FRAMES * 0.8, `cross-node subscriber decoded ${cross} of ${FRAMES} frames`);
  const stats = await call(A, 'getStats', {});
  t.equal(stats.tracks.find((x: { id: string }) => x.id === 'vp8').ssrc, 1234, 'bound to the encoder SSRC');
});

t.test('GStreamer VP8 into agent A, decoded out of agent B (internal transport), and out of another node of B (ring from the stand-in)', async (t) => {
  const nats = await startNats(t);
  const env = { NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1' };
  const a = await startAgent(t, testConfig(env));
  const b = await startAgent(t, testConfig(env));
  const nc = await natsClient(t, nats.url);
  const node = async (agent: typeof a, room: string) => {
    const { nodeId } = await request(nc, agent.subjects.agent('getNode'), { room, task: 't' });
    return (m: string, args: unknown = {}) => request(nc, agent.subjects.node(nodeId, m), args);
  };
  const na = await node(a, 'a');
  const nb = await node(b, 'b1');
  const nb2 = await node(b, 'b2');

  const pub = await na('createPlainTransport', { transportId: 'gst-pub' });
  await na('publishTrack', { transportId: 'gst-pub', trackId: 'vp8', kind: 'video', payloadType: 96, codec: 'vp8' });
  const addrA = await na('getInternalAddress');
  const decoders = [];
  const p1 = await freeUdpPort();
  await nb('createPlainTransport', { transportId: 'gst-sub' });
  await nb('connectPlainTransport', { transportId: 'gst-sub', ip: '127.0.0.1', port: p1 });
  await nb('linkup', { subscriptionId: 'dec', transportId: 'gst-sub', video: { id: 'vp8', ip: addrA.ip, port: addrA.port } });
  decoders.push(startDecoder(p1));
  // Another node of B subscribes by track id alone: the stand-in is a track of B.
  const p2 = await freeUdpPort();
  await nb2('createPlainTransport', { transportId: 'gst-sub2' });
  await nb2('connectPlainTransport', { transportId: 'gst-sub2', ip: '127.0.0.1', port: p2 });
  await nb2('subscribeTrack', { transportId: 'gst-sub2', trackId: 'vp8', subscriptionId: 'dec2' });
  decoders.push(startDecoder(p2));

  await new Promise((r) => setTimeout(r, 1500)); // decoders up
  t.equal(await encode(pub.port), 0, 'the encoder ran to the end');
  await new Promise((r) => setTimeout(r, 1000));
  const [cross, ring] = await Promise.all(decoders.map((d) => d.stop()));
  t.comment(`decoded frames: other agent ${cross}/${FRAMES}, other agent's other node ${ring}/${FRAMES}`);
  t.ok(cross! >= FRAMES * 0.8, `subscriber on agent B decoded ${cross} of ${FRAMES} frames`);
  t.ok(ring! >= FRAMES * 0.8, `subscriber on B's second node decoded ${ring} of ${FRAMES} frames`);
  const sb = await nb('getStats');
  t.match(sb.tracks.find((x: { id: string }) => x.id === 'vp8'), { exports: 1, subscribers: 1, codec: 'VP8' }, 'the stand-in feeds one local subscriber and one ring, and knows its codec');
});
