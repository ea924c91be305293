// The native addon in worker threads: worker.terminate() while uv timers
// with JS callbacks are live must not take the process down (without async
// cleanup hooks this segfaulted 4 times out of 4), and each
// thread's addon instance must be independent.
//
// Needs the addon built first: npx node-gyp rebuild
import t from 'tap';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ADDON_PATH_ENV, loadAddon } from '../src/node/addon';

const FIXTURE = path.join(__dirname, 'fixtures', 'addon-worker.js');
const READY_TIMEOUT_MS = 10_000;

const CYCLES = 200; // workers spawned and terminated with live handles
const PARALLEL = 4; // workers per batch

interface Snapshot {
  ids: number[];
  seen: number[];
  native: Array<number | undefined>;
  info: { loopAlive: boolean; timers: number };
  version: string;
  selfStopped: { id: number; stopped: boolean; again: boolean } | null;
}
interface ReadyMsg extends Snapshot {
  type: 'ready';
}
interface StoppedMsg {
  type: 'stopped';
  ids: number[];
  results: boolean[];
  again?: boolean[];
  after?: Array<number | undefined>;
  info: { loopAlive: boolean; timers: number };
}

interface FixtureOptions {
  timers?: number;
  intervalMs?: number;
  busyMs?: number;
  selfStop?: boolean;
  keepAlive?: boolean;
  throwAfter?: boolean;
}

class FixtureWorker {
  readonly worker: Worker;
  readonly errors: Error[] = [];
  readonly exited: Promise<number>;
  private readonly waiters: Array<{ type: string; resolve: (m: any) => void }> = [];
  private readonly inbox: any[] = [];

  constructor(opts: FixtureOptions = {}) {
    // The fixture is plain JS: keep tap's loaders (execArgv and the
    // NODE_OPTIONS --import that every worker would otherwise run) out of it.
    // They made each worker start ~5x slower; only the addon is under test.
    this.worker = new Worker(FIXTURE, {
      workerData: opts,
      execArgv: [],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.worker.on('message', (m) => {
      const i = this.waiters.findIndex((w) => w.type === m?.type);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
      else this.inbox.push(m);
    });
    this.worker.on('error', (e) => this.errors.push(e));
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  next<T>(type: string, timeoutMs = READY_TIMEOUT_MS): Promise<T> {
    const i = this.inbox.findIndex((m) => m?.type === type);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no '${type}' from worker within ${timeoutMs} ms; errors: ${this.errors.map((e) => e.message).join('; ')}`)),
        timeoutMs,
      );
      const settle = (m: T) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ type, resolve: settle });
      this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${code}) before '${type}'; errors: ${this.errors.map((e) => e.message).join('; ')}`));
      });
    });
  }

  request<T>(cmd: string, type: string): Promise<T> {
    const p = this.next<T>(type);
    this.worker.postMessage(cmd);
    return p;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('terminate() with live native timers, many cycles', async (t) => {
  const started = Date.now();
  let cycles = 0;
  let cyclesWithTicks = 0;
  let terminated = 0;
  const problems: string[] = [];

  for (let batch = 0; cycles < CYCLES; batch++) {
    const n = Math.min(PARALLEL, CYCLES - cycles);
    const runs = Array.from({ length: n }, async (_, k) => {
      const variant = (batch * PARALLEL + k) % 4;
      // 0: plain; 1: busy JS inside the callbacks (terminate lands mid-callback);
      // 2: plus a timer that stopped itself (close already done/in flight);
      // 3: 2 timers, terminate after a random short delay.
      const opts: FixtureOptions =
        variant === 1
          ? { timers: 3, busyMs: 2 }
          : variant === 2
            ? { timers: 3, selfStop: true }
            : variant === 3
              ? { timers: 2 }
              : { timers: 3 };
      const fw = new FixtureWorker(opts);
      try {
        const ready = await fw.next<ReadyMsg>('ready');
        if (ready.seen.length === opts.timers && ready.seen.every((x) => x >= 1) && ready.native.every((x) => (x ?? 0) >= 1)) {
          cyclesWithTicks++;
        } else {
          problems.push(`cycle ${batch}/${k}: no ticks before terminate: ${JSON.stringify(ready)}`);
        }
        if (variant === 2 && !(ready.selfStopped?.stopped === true && ready.selfStopped.again === false)) {
          problems.push(`cycle ${batch}/${k}: self-stop failed: ${JSON.stringify(ready.selfStopped)}`);
        }
        if (variant === 3) await sleep(Math.floor(Math.random() * 5));
        const code = await fw.worker.terminate();
        if (code === 1) terminated++;
        else problems.push(`cycle ${batch}/${k}: terminate() resolved with ${code}`);
      } catch (err) {
        problems.push(`cycle ${batch}/${k}: ${(err as Error).message}`);
        await fw.worker.terminate();
      }
      if (fw.errors.length > 0) problems.push(`cycle ${batch}/${k}: worker errors: ${fw.errors.map((e) => e.message).join('; ')}`);
    });
    await Promise.all(runs);
    cycles += n;
  }

  t.same(problems, [], 'no problems in any cycle');
  t.equal(cycles, CYCLES, `${CYCLES} worker cycles run`);
  t.equal(cyclesWithTicks, CYCLES, 'every worker reported native ticks before terminate()');
  t.equal(terminated, CYCLES, 'every worker was terminated (exit code 1)');
  t.comment(`process survived ${CYCLES} terminations in ${Date.now() - started} ms`);
});

t.test('main thread and two workers at once have independent instances', async (t) => {
  const addon = loadAddon();
  const base = addon.threadInfo().timers;
  const mainTicks: number[] = [0, 0];
  const mainIds = [
    addon.startTimer(2, (n) => (mainTicks[0] = n)),
    addon.startTimer(3, (n) => (mainTicks[1] = n)),
  ];
  t.equal(addon.threadInfo().timers, base + 2, 'main thread: 2 more live timers');

  const a = new FixtureWorker({ timers: 1 });
  const b = new FixtureWorker({ timers: 3 });
  try {
    const [ra, rb] = await Promise.all([a.next<ReadyMsg>('ready'), b.next<ReadyMsg>('ready')]);
    t.equal(ra.info.timers, 1, 'worker A sees only its own 1 timer');
    t.equal(rb.info.timers, 3, 'worker B sees only its own 3 timers');
    t.same(ra.ids, [1], 'worker A ids start at 1');
    t.same(rb.ids, [1, 2, 3], 'worker B ids start at 1 too (per-instance counter)');
    t.equal(ra.version, addon.version(), 'same addon version in worker A');
    t.equal(rb.version, addon.version(), 'same addon version in worker B');

    await sleep(30);
    const [ia, ib] = await Promise.all([
      a.request<Snapshot & { type: 'info' }>('info', 'info'),
      b.request<Snapshot & { type: 'info' }>('info', 'info'),
    ]);
    t.ok(ia.native[0]! > ra.native[0]!, 'worker A timer keeps ticking');
    t.ok(ib.native.every((n, i) => n! > rb.native[i]!), 'worker B timers keep ticking');
    t.equal(addon.threadInfo().timers, base + 2, 'main thread count unaffected by workers');
    t.ok(mainTicks[0] >= 1 && mainTicks[1] >= 1, `main thread timers ticked (${mainTicks})`);
    t.equal(addon.tickCount(mainIds[0]), mainTicks[0], 'main tickCount matches callback count');

    // Stopping in one worker changes nothing elsewhere.
    const sb = await b.request<StoppedMsg>('stop-one', 'stopped');
    t.same(sb.results, [true], 'worker B stopped one timer');
    t.equal(sb.info.timers, 2, 'worker B now has 2');
    const ia2 = await a.request<Snapshot & { type: 'info' }>('info', 'info');
    t.equal(ia2.info.timers, 1, 'worker A still has 1');
    t.equal(addon.threadInfo().timers, base + 2, 'main thread still has its 2');
  } finally {
    await Promise.all([a.worker.terminate(), b.worker.terminate()]);
  }
  t.same(a.errors, [], 'no errors in worker A');
  t.same(b.errors, [], 'no errors in worker B');

  t.same(mainIds.map((id) => addon.stopTimer(id)), [true, true], 'main timers stop');
  t.same(mainIds.map((id) => addon.stopTimer(id)), [false, false], 'second stop is false');
  t.equal(addon.tickCount(mainIds[0]), undefined, 'tickCount of a stopped timer is undefined');
  t.equal(addon.threadInfo().timers, base, 'main thread back to its base count');
});

t.test('stopTimer then terminate (close still in flight)', async (t) => {
  const rounds = 20;
  let ok = 0;
  for (let i = 0; i < rounds; i++) {
    const fw = new FixtureWorker({ timers: 3 });
    try {
      await fw.next<ReadyMsg>('ready');
      const stopped = await fw.request<StoppedMsg>(i % 2 === 0 ? 'stop' : 'stop-one', 'stopped');
      const expectLeft = i % 2 === 0 ? 0 : 2;
      if (
        stopped.results.every((r) => r === true) &&
        stopped.info.timers === expectLeft &&
        (stopped.again ?? []).every((r) => r === false) &&
        (stopped.after ?? []).every((x) => x === undefined)
      ) {
        ok++;
      } else {
        t.fail(`round ${i}: unexpected stop reply ${JSON.stringify(stopped)}`);
      }
    } finally {
      // Immediately: the uv_close callbacks of the stopped timers may not
      // have run yet, so explicit close and teardown meet here.
      await fw.worker.terminate();
    }
    t.same(fw.errors, [], `round ${i}: no worker errors`);
  }
  t.equal(ok, rounds, `${rounds} stop+terminate rounds`);
});

t.test('unref: live timers alone do not keep a worker alive', async (t) => {
  const fw = new FixtureWorker({ timers: 2, keepAlive: false });
  const ready = await fw.next<ReadyMsg>('ready');
  t.equal(ready.info.timers, 2, 'two live timers when ready');
  const code = await Promise.race([fw.exited, sleep(5_000).then(() => 'still running')]);
  if (code === 'still running') await fw.worker.terminate();
  t.equal(code, 0, 'worker exited on its own with code 0');
  t.same(fw.errors, [], 'no worker errors');
});

t.test('a throwing tick callback is an uncaught error of that worker only', async (t) => {
  const fw = new FixtureWorker({ timers: 2, throwAfter: true });
  await fw.next<ReadyMsg>('ready');
  const code = await Promise.race([fw.exited, sleep(5_000).then(() => 'still running')]);
  if (code === 'still running') await fw.worker.terminate();
  t.equal(code, 1, 'worker exited with code 1');
  t.match(fw.errors.map((e) => e.message), ['tick callback failed on purpose'], 'error surfaced on the Worker');
});

t.test('loadAddon', async (t) => {
  const saved = process.env[ADDON_PATH_ENV];
  t.teardown(() => {
    if (saved === undefined) delete process.env[ADDON_PATH_ENV];
    else process.env[ADDON_PATH_ENV] = saved;
  });

  delete process.env[ADDON_PATH_ENV];
  const addon = loadAddon();
  t.equal(addon.version(), '0.1.0', 'default path loads the built addon');
  t.equal(typeof addon.threadInfo().loopAlive, 'boolean', 'threadInfo().loopAlive is a boolean');
  t.throws(() => addon.startTimer(0), RangeError, 'interval 0 is rejected');
  t.throws(() => addon.startTimer(Number.NaN), RangeError, 'NaN interval is rejected');
  t.throws(() => addon.startTimer('5' as unknown as number), TypeError, 'non-number interval is rejected');
  t.throws(() => addon.startTimer(5, 42 as unknown as () => void), TypeError, 'non-function callback is rejected');
  t.equal(addon.stopTimer(987654), false, 'unknown id: stopTimer is false');
  t.equal(addon.tickCount(987654), undefined, 'unknown id: tickCount is undefined');

  const missing = path.join(__dirname, 'fixtures', 'does-not-exist', 'webrtc_agent.node');
  process.env[ADDON_PATH_ENV] = missing;
  t.throws(
    () => loadAddon(),
    {
      message: new RegExp(
        `cannot load native addon from ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(\\$${ADDON_PATH_ENV}\\)`,
      ),
    },
    'a missing addon file gives a clear error naming the path and the env var',
  );

  process.env[ADDON_PATH_ENV] = path.join(__dirname, '..', 'package.json'); // loads, but is not the addon
  t.throws(() => loadAddon(), { message: /is not the webrtc_agent addon/ }, 'a wrong module is rejected');
});
