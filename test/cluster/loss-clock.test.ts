/**
 * The loss detector judges by when it saw an entry change, not by the
 * member's own clock: a live member whose clock is minutes behind is not
 * declared lost, and dead members are, whether their clock was right or
 * minutes ahead. A real nats-server; the members are entries written
 * straight into the agents bucket, as an agent's Membership would.
 */
import t from 'tap';
import { JSONCodec } from 'nats';
import pino from 'pino';
import { Directory } from '../../src/cluster/Directory';
import { LossDetector } from '../../src/cluster/LossDetector';
import { agentKey, agentsBucket, roomsBucket, type AgentEntry, type LostEvent } from '../../src/cluster/layout';
import { natsClient, startNats } from '../helpers/nats';
import { createBuckets } from './helpers';
import { agentEntry } from './entry';

const json = JSONCodec<unknown>();
const INTERVAL = 100;
const LOST_AFTER = 3 * INTERVAL;
const MINUTES = 60_000;

const entry = (id: string, updatedAt: number): AgentEntry =>
  agentEntry(id, { nodes: 1, rooms: [`room-of-${id}`], load: 0.1, updatedAt, reportIntervalMs: INTERVAL });

t.test('a member whose clock is minutes off is not lost; dead members are', async (t) => {
  const server = await startNats(t);
  const nc = await natsClient(t, server.url);
  const cluster = 'clk';
  const { agents, rooms } = await createBuckets(nc, cluster, INTERVAL, 1);
  const put = (e: AgentEntry) => agents.put(agentKey(e.id), json.encode(e));

  // Before the detector starts: the entries it will find at once.
  await put(entry('behind', Date.now() - 5 * MINUTES)); // alive, clock 5 minutes slow
  await put(entry('dead', Date.now())); // never reports again, clock right
  await put(entry('ahead', Date.now() + 5 * MINUTES)); // never reports again, clock 5 minutes fast
  const live = setInterval(() => void put(entry('behind', Date.now() - 5 * MINUTES)).catch(() => undefined), INTERVAL);
  t.teardown(() => clearInterval(live));

  const log = pino({ level: 'silent' });
  const directory = new Directory(agents, log);
  await directory.start();
  t.teardown(() => directory.stop());
  const lost: LostEvent[] = [];
  const subject = `test.${cluster}.lost`;
  nc.subscribe(subject, { callback: (_e, m) => lost.push(json.decode(m.data) as LostEvent) });
  const healthy = Date.now() - 10 * LOST_AFTER;
  const loss = new LossDetector({
    nc,
    agents,
    rooms,
    js: nc.jetstream(),
    agentsBucket: agentsBucket(cluster),
    roomsBucket: roomsBucket(cluster),
    directory,
    agentId: 'me',
    subject,
    intervalMs: INTERVAL,
    lostAfterMs: LOST_AFTER,
    lastOkAt: () => Date.now(),
    healthySince: () => healthy,
    log,
  });
  loss.start();
  t.teardown(() => loss.stop());

  const end = Date.now() + 5000;
  while (lost.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  // A few more intervals: time enough for a wrong verdict on the live one.
  await new Promise((r) => setTimeout(r, 6 * INTERVAL));
  t.same(lost.map((e) => e.id).sort(), ['ahead', 'dead'], 'the two dead members are lost, the live one with a slow clock is not');
  t.match(lost.find((e) => e.id === 'dead'), { reason: 'lost', rooms: ['room-of-dead'], detectedBy: 'me' });
  t.ok(directory.get('behind'), 'the live member is still in the directory');
  t.ok(directory.ageMs('behind') <= 2 * INTERVAL, `its entry changed ${directory.ageMs('behind').toFixed(0)} ms ago`);
  t.notOk(directory.get('dead'), 'the lost ones are gone from the directory');
  t.ok(loss.triedSize <= directory.all().length, `the claims remembered (${loss.triedSize}) are bounded by the directory`);
});
