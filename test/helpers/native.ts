/**
 * Builds and runs one native unit-test program (test/native/*_test.cc, with
 * the CHECK machinery of test/native/check.h) under AddressSanitizer +
 * UndefinedBehaviorSanitizer, as a tap subtest. The addon's layers tested this
 * way are pure C++ with no Node dependency, so each is compiled into a plain
 * program together with its test: a bounds bug shows up here as an ASan
 * report, not as a crashed agent.
 */
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const ADDON_DIR = path.join(ROOT, 'addon');

export interface NativeTestOptions {
  /** The program's name, e.g. 'rtp_test': the binary, and the first word of its summary line. */
  name: string;
  /** The test program, e.g. path.join(__dirname, 'rtp_test.cc'). */
  source: string;
  /**
   * What it tests, relative to addon/: a folder contributes all of its .cc
   * files, a file itself. Also names the subtest ('addon/rtp').
   */
  sources: string[];
  /** The fewest addon sources there may be: a floor, so a moved folder is not silently compiled as nothing. */
  minSources: number;
  /** Libraries to link, without -l (e.g. ['ssl', 'crypto']): Debian's, from libssl-dev (scripts/setup.sh). */
  libs?: string[];
  /**
   * The program counts its CHECKs. A floor well above zero means a build that
   * silently runs nothing (or a test function dropped from main) fails here;
   * raise it when checks are added.
   */
  minChecks: number;
  compileTimeoutMs?: number;
  runTimeoutMs?: number;
}

// The sanitizer runtime is linked into the test binary. LD_PRELOAD (set by
// scripts/asan-test.sh for Node) must not leak into g++ or the binary, and
// ASAN_OPTIONS from there turns leak detection off, which we want on here:
// the code under test owns everything it allocates (OpenSSL objects through
// RAII wrappers included), so a leak is a bug.
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  env.ASAN_OPTIONS = 'detect_leaks=1:halt_on_error=1:abort_on_error=0';
  env.UBSAN_OPTIONS = 'halt_on_error=1:print_stacktrace=1';
  return env;
}

function addonSources(entries: string[]): string[] {
  return entries.flatMap((entry) => {
    const full = path.join(ADDON_DIR, entry);
    if (!fs.statSync(full, { throwIfNoEntry: false })?.isDirectory()) return [full];
    return fs
      .readdirSync(full)
      .filter((f) => f.endsWith('.cc'))
      .map((f) => path.join(full, f));
  });
}

export function runNativeTest(t: Test, opts: NativeTestOptions): Promise<unknown> {
  const { name, minChecks } = opts;
  const libFlags = (opts.libs ?? []).map((lib) => `-l${lib}`);
  const label = opts.sources.map((s) => `addon/${s}`).join(' + ');

  return t.test(`${label} native unit tests under ASan + UBSan`, async (t) => {
    const sources = addonSources(opts.sources);
    t.ok(sources.length >= opts.minSources, `${label} has sources (${sources.length})`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const binary = path.join(dir, name);

    const compile = spawnSync(
      'g++',
      [
        '-std=c++17',
        '-O1',
        '-g',
        '-fno-exceptions',
        '-fno-omit-frame-pointer',
        '-fsanitize=address,undefined',
        '-fno-sanitize-recover=all',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-I',
        ADDON_DIR,
        opts.source,
        ...sources,
        // After the objects that use them: the linker resolves libraries left to right.
        ...libFlags,
        '-o',
        binary,
      ],
      { encoding: 'utf8', env: childEnv(), timeout: opts.compileTimeoutMs ?? 90_000 },
    );
    const hint = libFlags.length > 0 ? `; is libssl-dev installed (for ${libFlags.join(' ')})?` : '';
    t.equal(compile.status, 0, `compiled with -fsanitize=address,undefined ${libFlags.join(' ')}${compile.status === 0 ? '' : ` (g++: ${compile.error?.message ?? `exit ${compile.status}`}${hint}):\n${compile.stderr}`}`);
    if (compile.status !== 0) return;

    const run = spawnSync(binary, [], { encoding: 'utf8', env: childEnv(), timeout: opts.runTimeoutMs ?? 60_000 });
    // The summary line check.h's ReportChecks prints last.
    const match = new RegExp(`${name}: (\\d+) checks passed, (\\d+) failed`).exec(run.stdout ?? '');
    t.equal(run.signal, null, 'not killed by a signal');
    t.equal(run.status, 0, `exit status 0${run.status === 0 ? '' : `; stderr:\n${run.stderr}`}`);
    t.notMatch(run.stderr ?? '', /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/, 'no sanitizer report');
    t.ok(match, `summary line printed (stdout: ${JSON.stringify(run.stdout?.slice(-200))})`);
    if (match) {
      const passed = Number(match[1]);
      const failed = Number(match[2]);
      t.equal(failed, 0, 'no failed checks');
      t.ok(passed >= minChecks, `${passed} checks passed (at least ${minChecks})`);
    }
  });
}
