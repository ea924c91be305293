/**
 * The demo as a person uses it: two browser tabs join one room and each
 * decodes the other's video, through the agent; one leaves and the other's
 * view of it goes away.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { DemoServer } from '../../src/demo/DemoServer';
import { natsClient, startNats } from '../helpers/nats';
import { silentLog, startAgent, testConfig, waitFor } from '../helpers/agent';
import { openBrowser } from '../helpers/chromium';

const stats = (page: Page) => page.evaluate(() => (window as unknown as { demoStats: () => Promise<Record<string, number>> }).demoStats());

t.test('two tabs in one room see each other; a tab that leaves is gone from the other', async (t) => {
  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1' }));
  const nc = await natsClient(t, nats.url);
  const demo = await DemoServer.start({ nc, prefix: agent.subjects.prefix, agentId: agent.id, host: '127.0.0.1', port: 0, log: silentLog });
  t.teardown(() => demo.stop());
  const { browser } = await openBrowser(t);
  const open = async (name: string) => {
    const page = await browser.newPage();
    await page.goto(`${demo.url.replace('127.0.0.1', 'localhost')}?room=r1&name=${name}&autojoin=1`);
    return page;
  };
  const alice = await open('alice');
  const bob = await open('bob');
  for (const [who, page] of [['alice', alice], ['bob', bob]] as const) {
    await waitFor(async () => Object.values(await stats(page)).some((f) => f > 0), 20_000, `${who} decodes the other`);
    const before = Object.values(await stats(page))[0]!;
    await new Promise((r) => setTimeout(r, 1500));
    const after = Object.values(await stats(page))[0]!;
    t.ok(after > before, `${who} keeps decoding (${before} -> ${after} frames)`);
    t.equal(Object.keys(await stats(page)).length, 1, `${who} watches exactly one other person`);
  }
  await bob.close();
  await waitFor(async () => Object.keys(await stats(alice)).length === 0, 10_000, 'bob gone from alice').catch(() => undefined);
  t.same(await stats(alice), {}, 'bob left alice\'s view');
  await waitFor(async () => {
    const nodes = (await nc.request(agent.subjects.agent('listNodes'), new TextEncoder().encode('{}'))).json<{ nodes: Array<{ rooms: Array<{ tasks: string[] }> }> }>().nodes;
    return nodes.flatMap((n) => n.rooms.flatMap((r) => r.tasks)).length === 1;
  }, 10_000, 'only alice\'s publication is left on the agent');
});
