/**
 * The V8 settings that keep the agent's isolates small (bench/memory.js
 * measures what they are worth): the main thread's young generation does
 * not grow once src/util/heapFlags.ts is loaded, a node thread's is held at
 * 1 MiB semi-spaces by its resourceLimits, the entry points load the flags
 * before anything else, and the addon's reduceMemory() gives a thread's
 * start-up pages back at once.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { resolveAddonPath } from '../src/node/addon';
import { NODE_THREAD_RESOURCE_LIMITS } from '../src/pool/WorkerNode';

const root = path.join(__dirname, '..');
/** Keeps a good share of 400k small objects alive across scavenges (V8 would grow the young generation), then prints new_space's capacity in MiB. */
const WORK = `
  let keep = [];
  for (let i = 0; i < 400000; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 100000) keep = []; }
  const mib = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;`;

t.test('the main thread: no young-generation growth once heapFlags is loaded', async (t) => {
  const run = (pre: string) => Number(execFileSync(process.execPath, ['-e', `${pre};${WORK};process.stdout.write(String(mib))`], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH } }));
  const without = run('');
  const withFlags = run("require('./dist/util/heapFlags.js')");
  t.ok(without > 2, `without the flags V8 grows it (${without} MiB)`);
  t.ok(withFlags <= 2, `with them it stays at two 1 MiB semi-spaces (${withFlags} MiB)`);
});

t.test('a node thread: its resourceLimits hold the young generation at 1 MiB semi-spaces', async (t) => {
  const sized = (resourceLimits?: typeof NODE_THREAD_RESOURCE_LIMITS) =>
    new Promise<number>((resolve, reject) => {
      const w = new Worker(`${WORK};require('node:worker_threads').parentPort.postMessage(mib)`, { eval: true, execArgv: [], ...(resourceLimits ? { resourceLimits } : {}) });
      w.once('message', (mib: number) => void w.terminate().then(() => resolve(mib)));
      w.once('error', reject);
    });
  const without = await sized();
  const limited = await sized(NODE_THREAD_RESOURCE_LIMITS);
  t.ok(without > 2, `unbounded, a worker grows it (${without} MiB)`);
  t.ok(limited <= 2, `bounded, it stays at 2 MiB (${limited} MiB)`);
});

t.test("reduceMemory(): a thread's start-up garbage and grown young generation go back at once", async (t) => {
  // A thread that has loaded modules and made garbage, as a node thread has
  // at READY; the heap's resident size (physical_space_size) around the call.
  const code = `
    const v8 = require('node:v8');
    const addon = require(${JSON.stringify(resolveAddonPath())});
    ${WORK}
    require('node:http'); require('node:crypto'); require('node:zlib');
    const resident = () => v8.getHeapSpaceStatistics().reduce((a, s) => ({ ...a, [s.space_name]: s.physical_space_size / 1048576 }), {});
    const before = resident();
    addon.reduceMemory();
    require('node:worker_threads').parentPort.postMessage({ before, after: resident() });`;
  type Resident = Record<string, number>;
  const { before, after } = await new Promise<{ before: Resident; after: Resident }>((resolve, reject) => {
    const w = new Worker(code, { eval: true, execArgv: [], resourceLimits: NODE_THREAD_RESOURCE_LIMITS });
    w.once('message', (m: { before: Resident; after: Resident }) => void w.terminate().then(() => resolve(m)));
    w.once('error', reject);
  });
  const total = (r: Resident) => Object.values(r).reduce((a, b) => a + b, 0);
  t.ok(after.new_space < before.new_space - 0.5, `young generation resident ${before.new_space.toFixed(2)} -> ${after.new_space.toFixed(2)} MiB`);
  t.ok(total(after) < total(before) - 1, `heap resident ${total(before).toFixed(2)} -> ${total(after).toFixed(2)} MiB`);
});

t.test('the agent entry points load the flags before anything else', async (t) => {
  for (const [file, first] of [['src/main.ts', "import './util/heapFlags';"], ['src/cli/index.ts', "import '../util/heapFlags';"]] as const) {
    const firstImport = readFileSync(path.join(root, file), 'utf8').split('\n').find((l) => l.startsWith('import '));
    t.equal(firstImport, first, `${file}: the first import`);
  }
});
