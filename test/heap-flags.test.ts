/**
 * The V8 settings that keep the agent's isolates small (bench/memory.js
 * measures what they are worth): the main thread's young generation does
 * not grow once src/util/heapFlags.ts is loaded, a node thread's is held at
 * 1 MiB semi-spaces by its resourceLimits, the entry points load the flags
 * before anything else, and the addon's reduceMemory() gives a thread's
 * start-up pages back at once.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { resolveAddonPath } from '../src/node/addon';
import { NODE_THREAD_RESOURCE_LIMITS } from '../src/pool/WorkerNode';

const root = path.join(__dirname, '..');
/**
 * Keeps a good share of 400k small objects alive across scavenges (V8 would
 * grow the young generation); `before` and `mib` are new_space's capacity in
 * MiB before and after. The flag's promise is no growth from the moment it
 * is set, so the test compares the two: a plain after <= 2 read 4 MiB in 1
 * run of 4 on a busy machine (not reproduced here in 90 runs; a growth
 * during Node.js's start-up, before any flag can be set, would give it).
 */
const NEW_SPACE = "require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576";
const WORK = `
  const before = ${NEW_SPACE};
  let keep = [];
  for (let i = 0; i < 400000; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 100000) keep = []; }
  const mib = ${NEW_SPACE};`;

/** Runs `pre`, then WORK, in a fresh process; new_space's capacity before and after the work. */
async function mainThread(pre: string): Promise<{ before: number; after: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', `(async () => { ${pre}; ${WORK}; process.stdout.write(JSON.stringify({ before, after: mib })); process.exit(0); })()`], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  return JSON.parse(stdout) as { before: number; after: number };
}

t.test('the main thread: no young-generation growth once heapFlags is loaded', async (t) => {
  const without = await mainThread('');
  const withFlags = await mainThread("require('./dist/util/heapFlags.js')");
  t.ok(without.after > without.before, `without the flags V8 grows it (${without.before} -> ${without.after} MiB)`);
  t.equal(withFlags.after, withFlags.before, `with them it does not grow (${withFlags.before} -> ${withFlags.after} MiB)`);
});

t.test('a new isolate sets the growth factor back; reapplyHeapFlags() sets it again', async (t) => {
  // Four worker threads started (as node threads are), then the main thread's work.
  const workers = "const { Worker } = require('node:worker_threads'); await Promise.all(Array.from({ length: 4 }, () => new Promise((r) => new Worker('setTimeout(() => {}, 300)', { eval: true }).once('online', r))))";
  const reset = await mainThread(`const f = require('./dist/util/heapFlags.js'); ${workers}`);
  const again = await mainThread(`const f = require('./dist/util/heapFlags.js'); ${workers}; f.reapplyHeapFlags()`);
  t.ok(reset.after > reset.before, `after worker threads started, V8 grows it again (${reset.before} -> ${reset.after} MiB)`);
  t.equal(again.after, again.before, `applied again, it does not grow (${again.before} -> ${again.after} MiB)`);
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
    const held = resident();
    addon.reduceMemory();
    require('node:worker_threads').parentPort.postMessage({ before: held, after: resident() });`;
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
  for (const [file, first] of [['src/main.ts', /^import (\{ reapplyHeapFlags \} from )?'\.\/util\/heapFlags';$/], ['src/cli/index.ts', /^import '\.\.\/util\/heapFlags';$/]] as const) {
    const firstImport = readFileSync(path.join(root, file), 'utf8').split('\n').find((l) => l.startsWith('import '));
    t.match(firstImport, first, `${file}: the first import`);
  }
  t.match(readFileSync(path.join(root, 'src/main.ts'), 'utf8'), /agent\.nodes\.on\('nodeReady', \(\) => reapplyHeapFlags\(\)\)/, 'main applies them again after each node thread starts');
});
