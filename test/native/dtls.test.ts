// Builds and runs the native unit tests of addon/dtls (test/native/dtls_test.cc:
// certificates and SDP fingerprints, and two DtlsTransports handshaking in
// memory with a fake clock: keys, fingerprint checks, loss, timeouts,
// garbage, close_notify) under AddressSanitizer + UndefinedBehaviorSanitizer,
// like rtp.test.ts. The code is pure C++ with no Node dependency; it links
// Debian's libssl/libcrypto here and Node's own OpenSSL in the addon.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'dtls_test',
  source: path.join(__dirname, 'dtls_test.cc'),
  sources: ['dtls'],
  minSources: 4,
  libs: ['ssl', 'crypto'],
  minChecks: 400,
  compileTimeoutMs: 120_000,
  // The loss and retransmission tests sleep on OpenSSL's real-time timer
  // (about 1.5 s in all).
  runTimeoutMs: 60_000,
});
