/**
 * The operator's HTTP endpoint: /metrics over a real agent (real threads, a
 * real nats-server, plain RTP over real UDP), the $SRV.STATS summary,
 * /healthz and /readyz going 503 when they should (a hung node thread, NATS
 * gone, load above maxLoad), and no listener when metrics are off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { JSONCodec } from 'nats';
import { loadConfig } from '../../src/config/load';
import { MonotonicTotals } from '../../src/node/MonotonicTotals';
import { NatsServerProcess } from '../../src/rpc/NatsServerProcess';
import { freePort, natsClient, startNats } from '../helpers/nats';
import { request, startAgent, testConfig, waitFor } from '../helpers/agent';
import { buildRr, buildRtp, buildPli, findSrs, UdpPeer } from '../helpers/rtp';

const json = JSONCodec();

async function get(url: string, init?: RequestInit): Promise<{ status: number; text: string; type: string | null }> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: r.status, text: await r.text(), type: r.headers.get('content-type') };
}

/** The value of one sample line `name{labels} value` (labels matched as a subset), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const want = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (want) total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

t.test('MonotonicTotals: totals never fall when objects end or restart', async (t) => {
  const m = new MonotonicTotals();
  t.same(m.update([['a', { x: 5 }], ['b', { x: 2 }]]), { x: 7 });
  t.same(m.update([['a', { x: 6 }]]), { x: 8 }, 'b ended: its last value stays in the total');
  t.same(m.update([['a', { x: 1 }]]), { x: 9 }, 'a came back under the same id from zero');
  t.same(m.update([]), { x: 9 });
});

t.test('/metrics: the families, moving with plain RTP; $SRV.STATS carries the summary', async (t) => {
  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, CLUSTER_REPORT_INTERVAL_MS: '200', CLUSTER_MAX_LOAD_PERCENT: '100' }));
  const base = agent.metricsUrl!;
  t.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  const nc = await natsClient(t, nats.url);
  const nodeId = (await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room: 'r', task: 'pub' })).nodeId;
  const n = (method: string, args: unknown) => request<any>(nc, agent.subjects.node(nodeId, method), args);

  const before = await get(`${base}/metrics`);
  t.equal(before.status, 200);
  t.match(before.type, /^text\/plain; version=0\.0\.4/);
  t.equal(sample(before.text, 'webrtc_agent_packets_total', { node: nodeId, direction: 'in' }), 0, 'no packets yet');
  t.ok(sample(before.text, 'process_resident_memory_bytes')! > 0, 'process memory (default metrics)');
  t.ok(sample(before.text, 'webrtc_agent_node_heartbeat_age_seconds', { node: nodeId })! < 2, 'heartbeat age of the node');

  const pub = await n('createPlainTransport', { transportId: 'pub' });
  await n('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 1111, payloadType: 96 });
  const sink = await UdpPeer.open(t);
  await n('createPlainTransport', { transportId: 'sub' });
  const sub = await n('connectPlainTransport', { transportId: 'sub', ip: '127.0.0.1', port: sink.port });
  const { ssrc } = await n('subscribeTrack', { transportId: 'sub', trackId: 'cam', subscriptionId: 's' });
  const sender = await UdpPeer.open(t);
  const subPort: number = sub.port ?? (await n('getStats', {})).transports.find((x: { id: string }) => x.id === 'sub').port;
  // Packets for ~1.2 s, so the subscription sends an SR the sink can answer.
  const end = Date.now() + 5000;
  let i = 0;
  while (Date.now() < end && findSrs(Buffer.concat(sink.rtcp())).length === 0) {
    await sender.send(buildRtp({ ssrc: 1111, seq: 100 + i, ts: 9000 + i * 3000, pt: 96, payload: Buffer.alloc(200, 1) }), pub.port);
    i++;
    await new Promise((r) => setTimeout(r, 20));
  }
  const sr = sink.rtcp().flatMap((b) => findSrs(b))[0];
  t.ok(sr, 'the subscription sent an SR');
  await sink.send(buildRr(77, { ssrc, fractionLost: 64, cumulativeLost: 3, highestSeq: 100 + i, jitter: 900, lsr: Number((sr!.ntp >> 16n) & 0xffffffffn), dlsr: 0 }), subPort);
  await sink.send(buildPli(77, ssrc), subPort);
  await sender.send(Buffer.from('not rtp at all'), pub.port);
  await waitFor(async () => (await n('getStats', {})).subscriptions[0].rrReceived === 1, 3000, 'RR read');

  const after = (await get(`${base}/metrics`)).text;
  const v = (name: string, labels: Record<string, string> = {}) => sample(after, name, { node: nodeId, ...labels });
  t.equal(v('webrtc_agent_transports', { type: 'plain' }), 2, 'two plain transports');
  t.equal(v('webrtc_agent_tracks', { kind: 'video' }), 1);
  t.equal(v('webrtc_agent_subscriptions', { kind: 'video' }), 1);
  t.equal(v('webrtc_agent_subscriptions', { kind: 'audio' }), 0);
  t.equal(v('webrtc_agent_packets_total', { direction: 'in', protocol: 'rtp' }), i, `${i} RTP packets in`);
  t.ok(v('webrtc_agent_packets_total', { direction: 'out', protocol: 'rtp' })! >= i - 1, 'RTP packets out');
  t.ok(v('webrtc_agent_packets_total', { direction: 'in', protocol: 'rtcp' })! >= 2, 'RTCP in (RR, PLI)');
  t.ok(v('webrtc_agent_bytes_total', { direction: 'in' })! >= i * 212, 'bytes in');
  t.equal(v('webrtc_agent_drops_total', { where: 'transport', reason: 'notRtp' }), 1, 'the bad datagram, by reason');
  t.equal(v('webrtc_agent_keyframe_requests_total', { direction: 'from_subscribers' }), 1, 'the PLI');
  t.ok(v('webrtc_agent_keyframe_requests_total', { direction: 'to_publishers' })! >= 1, 'asked upstream');
  t.equal(v('webrtc_agent_fraction_lost_count', { side: 'subscriber' }), 1, 'one loss figure');
  t.equal(v('webrtc_agent_fraction_lost_bucket', { side: 'subscriber', le: '0.2' }), 0, 'fraction 0.25 is above 0.2');
  t.equal(v('webrtc_agent_fraction_lost_bucket', { side: 'subscriber', le: '0.5' }), 1);
  t.equal(v('webrtc_agent_jitter_seconds_sum', { side: 'subscriber' }), 0.01, 'jitter 900 ticks = 10 ms');
  t.equal(v('webrtc_agent_subscriber_rtt_seconds_count'), 1, 'one RTT');
  t.ok(v('webrtc_agent_node_event_loop_delay_seconds', { stat: 'max' })! > 0, 'event-loop delay of the thread');
  t.ok(v('webrtc_agent_node_heap_used_bytes')! > 0);
  t.equal(sample(after, 'webrtc_agent_rpc_duration_seconds_count', { method: 'node.createPlainTransport', code: '200' }), 2, 'RPC by method and code');
  t.equal(sample(after, 'webrtc_agent_rpc_duration_seconds_count', { method: 'getNode', code: '200' }), 1);
  t.equal(sample(after, 'webrtc_agent_nodes', { list: 'in-use' }), 1);
  t.equal(sample(after, 'webrtc_agent_rooms'), 1);
  t.equal(sample(after, 'webrtc_agent_nats_connected'), 1);
  t.ok(after.includes('agent="' + agent.id + '"'), 'every series names the agent');

  // A node method that does not exist is one bounded label, not one per name.
  await t.rejects(n('noSuchMethod1', {}));
  await t.rejects(n('noSuchMethod2', {}));
  await waitFor(async () => (await agent.metrics.scrape()).includes('method="node.unknown",code="404"'), 2000, 'node.unknown');
  t.notOk((await agent.metrics.scrape()).includes('noSuchMethod'), 'unknown names are not labels');

  // The counters survive the end of their objects.
  await n('destroyTransport', { transportId: 'sub' });
  const gone = (await get(`${base}/metrics`)).text;
  t.ok(sample(gone, 'webrtc_agent_packets_total', { node: nodeId, direction: 'out', protocol: 'rtp' })! >= i - 1, 'packets out did not fall');
  t.equal(sample(gone, 'webrtc_agent_subscriptions', { node: nodeId, kind: 'video' }), 0);

  // Cluster load and health mirrored as gauges.
  await waitFor(async () => sample(await agent.metrics.scrape(), 'webrtc_agent_cluster_load', { metric: 'load' }) !== undefined, 3000, 'load reported');
  t.equal(sample(await agent.metrics.scrape(), 'webrtc_agent_cluster_max_load'), 1);

  // $SRV.STATS: each endpoint's data is the agent's summary.
  const stats = json.decode((await nc.request(`$SRV.STATS.webrtc-agent.${agent.id}`, undefined, { timeout: 5000 })).data) as any;
  const getNodeEp = stats.endpoints.find((e: { name: string }) => e.name === 'getNode');
  t.match(getNodeEp.data, { nodes: Number, rooms: 1, transports: 1, tracks: 1, subscriptions: 0, healthy: true, ready: true });
  t.ok(getNodeEp.data.packetsIn >= i, 'packets in the summary');

  // Other paths and methods.
  t.equal((await get(`${base}/nope`)).status, 404);
  t.equal((await get(`${base}/metrics`, { method: 'POST' })).status, 405);
});

t.test('/healthz: 503 while a node thread hangs, and while NATS is gone', async (t) => {
  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, CLUSTER_ENABLED: 'false', AGENT_PRERUN_NODES: '1', AGENT_CHECK_WINDOW_MS: '1500' }));
  const base = agent.metricsUrl!;
  let ok: { status: number; text: string } | undefined;
  // A loaded machine may start the node late: wait for the first 200.
  await waitFor(async () => (ok = await get(`${base}/healthz`)).status === 200, 5000, 'healthy at start');
  ok = ok!;
  t.match(JSON.parse(ok.text), { ok: true, reasons: [], nats: true, nodes: 1 });
  t.equal((await get(`${base}/readyz`)).status, 200, 'ready: no cluster, not stopping');

  const nc = await natsClient(t, nats.url);
  const [node] = agent.nodes.nodes();
  await request(nc, agent.subjects.node(node!.id, 'testHang'), { ms: 1200 });
  let hung: { status: number; text: string } | undefined;
  await waitFor(async () => (hung = await get(`${base}/healthz`)).status === 503, 3000, '503 during the hang');
  t.match(JSON.parse(hung!.text).reasons, [new RegExp(`^node ${node!.id}: no heartbeat for \\d+ ms$`)]);
  t.equal(sample(await agent.metrics.scrape(), 'webrtc_agent_healthy'), 0);
  await waitFor(async () => (await get(`${base}/healthz`)).status === 200, 5000, '200 once the node beats again (or is replaced)');

  await nats.stop();
  let down: { status: number; text: string } | undefined;
  await waitFor(async () => (down = await get(`${base}/healthz`)).status === 503, 5000, '503 with NATS gone');
  t.match(JSON.parse(down!.text), { ok: false, nats: false, reasons: ['NATS is not connected'] });
  // The server comes back on the same port: the client reconnects, health with it.
  const dir = mkdtempSync(path.join(tmpdir(), 'wa-nats-'));
  const again = await NatsServerProcess.start({ port: Number(new URL(nats.url).port), dataDir: dir });
  t.teardown(async () => {
    await again.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(async () => (await get(`${base}/healthz`)).status === 200, 5000, '200 after NATS came back');
  await agent.stop('test end'); // while the second server is still up
});

t.test('/readyz: 503 until the first load report and above maxLoad; 503 while stopping', async (t) => {
  const nats = await startNats(t);
  // The machine's memory in use is always above 1 %.
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, AGENT_PRERUN_NODES: '1', CLUSTER_REPORT_INTERVAL_MS: '200', CLUSTER_LOAD_METRIC: 'memory', CLUSTER_MAX_LOAD_PERCENT: '1' }));
  const base = agent.metricsUrl!;
  const first = await get(`${base}/readyz`);
  t.equal(first.status, 503);
  t.match(JSON.parse(first.text).reasons, ['no load reported to the cluster yet']);
  let over: { status: number; text: string } | undefined;
  await waitFor(async () => JSON.parse((over = await get(`${base}/readyz`)).text).load !== null, 3000, 'a load report');
  t.equal(over!.status, 503);
  t.match(JSON.parse(over!.text), { ok: false, maxLoad: 0.01, reasons: [/^load 0\.\d+ is above maxLoad 0\.01$/] });
  t.equal((await get(`${base}/healthz`)).status, 200, 'healthy all the same');
  t.equal(sample(await agent.metrics.scrape(), 'webrtc_agent_ready'), 0);
  const stopping = agent.stop('test');
  t.match(agent.readiness().reasons, ['the agent is stopping']);
  t.match(agent.health().reasons, ['the agent is stopping']);
  await stopping;
});

t.test('metrics config: defaults, port 0, bad values named', async (t) => {
  const d = loadConfig({ argv: [], env: {} }).metrics;
  t.same(d, { enabled: true, listenIp: '127.0.0.1', port: 9474 });
  t.equal(loadConfig({ argv: ['--metrics-port', '0'], env: {} }).metrics.port, 0);
  t.throws(() => loadConfig({ argv: [], env: { METRICS_PORT: '70000' } }), /metrics\.port/);
  t.throws(() => loadConfig({ argv: [], env: { METRICS_LISTEN_IP: 'localhost:1' } }), /metrics\.listenIp/);
});

t.test('metrics.enabled=false: no listener; a taken port stops the start', async (t) => {
  const nats = await startNats(t);
  const port = await freePort();
  const off = await startAgent(t, testConfig({ NATS_URL: nats.url, CLUSTER_ENABLED: 'false', AGENT_PRERUN_NODES: '0', METRICS_ENABLED: 'false', METRICS_PORT: String(port) }));
  t.equal(off.metricsUrl, undefined);
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  t.equal(refused, 'ECONNREFUSED', 'nothing listens on the configured port');
  t.match((await off.metrics.scrape()), /webrtc_agent_nodes/, 'metrics are still collected (for $SRV.STATS)');

  const taker = net.createServer();
  await new Promise<void>((r) => taker.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => taker.close(() => r())));
  const taken = (taker.address() as net.AddressInfo).port;
  await t.rejects(startAgent(t, testConfig({ NATS_URL: nats.url, CLUSTER_ENABLED: 'false', AGENT_PRERUN_NODES: '0', METRICS_PORT: String(taken) })), { code: 'EADDRINUSE' });
});
