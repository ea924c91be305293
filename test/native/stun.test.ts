// Builds and runs the native unit tests of addon/ice (test/native/stun_test.cc:
// STUN with the RFC 5769 vectors, and the ICE-lite agent) under
// AddressSanitizer + UndefinedBehaviorSanitizer, like rtp.test.ts. The code
// is pure C++ with no Node dependency; MESSAGE-INTEGRITY needs OpenSSL's
// libcrypto (Debian's libssl-dev here, Node's own copy in the addon).
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'stun_test',
  source: path.join(__dirname, 'stun_test.cc'),
  sources: ['ice'],
  minSources: 2,
  libs: ['crypto'],
  minChecks: 400,
});
