// Builds and runs the native unit tests of addon/dtls (test/native/dtls_test.cc:
// certificates and SDP fingerprints, and two DtlsTransports handshaking in
// memory with a fake clock: keys, fingerprint checks, loss, timeouts,
// garbage, close_notify) under AddressSanitizer + UndefinedBehaviorSanitizer,
// like rtp.test.ts. The code is pure C++ with no Node dependency; it links
// Debian's libssl/libcrypto here and Node's own OpenSSL in the addon.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const DTLS_DIR = path.join(ROOT, 'addon', 'dtls');
const TEST_SOURCE = path.join(__dirname, 'dtls_test.cc');
// The program counts its CHECKs. A floor well above zero means a build that
// silently runs nothing (or a test function dropped from main) fails here;
// raise it when checks are added.
const MIN_CHECKS = 400;

// The sanitizer runtime is linked into the test binary. LD_PRELOAD (set by
// scripts/asan-test.sh for Node) must not leak into g++ or the binary, and
// ASAN_OPTIONS from there turns leak detection off, which we want on here.
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  env.ASAN_OPTIONS = 'detect_leaks=1:halt_on_error=1:abort_on_error=0';
  env.UBSAN_OPTIONS = 'halt_on_error=1:print_stacktrace=1';
  return env;
}

t.test('addon/dtls native unit tests under ASan + UBSan', async (t) => {
  const sources = fs
    .readdirSync(DTLS_DIR)
    .filter((f) => f.endsWith('.cc'))
    .map((f) => path.join(DTLS_DIR, f));
  t.ok(sources.length >= 4, `addon/dtls has sources (${sources.length})`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtls-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const binary = path.join(dir, 'dtls_test');

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
      path.join(ROOT, 'addon'),
      TEST_SOURCE,
      ...sources,
      // Libraries after the objects that use them.
      '-lssl',
      '-lcrypto',
      '-o',
      binary,
    ],
    { encoding: 'utf8', env: childEnv(), timeout: 120_000 },
  );
  if (compile.error || compile.status !== 0) {
    t.fail(`g++ failed (${compile.error?.message ?? `exit ${compile.status}`}):\n${compile.stderr}`);
    return;
  }
  t.pass('compiled with -fsanitize=address,undefined against libssl');

  // The loss and retransmission tests sleep on OpenSSL's real-time timer
  // (about 1.5 s in all).
  const run = spawnSync(binary, [], { encoding: 'utf8', env: childEnv(), timeout: 60_000 });
  const match = /dtls_test: (\d+) checks passed, (\d+) failed/.exec(run.stdout ?? '');
  t.equal(run.signal, null, 'not killed by a signal');
  t.equal(run.status, 0, `exit status 0${run.status === 0 ? '' : `; stderr:\n${run.stderr}`}`);
  t.notMatch(run.stderr ?? '', /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/, 'no sanitizer report');
  t.ok(match, `summary line printed (stdout: ${JSON.stringify(run.stdout?.slice(-200))})`);
  if (match) {
    const passed = Number(match[1]);
    const failed = Number(match[2]);
    t.equal(failed, 0, 'no failed checks');
    t.ok(passed >= MIN_CHECKS, `${passed} checks passed (at least ${MIN_CHECKS})`);
  }
});
