// Builds and runs the native unit tests of addon/srtp (test/native/srtp_test.cc)
// under AddressSanitizer + UndefinedBehaviorSanitizer. SRTP is pure C++ over
// OpenSSL EVP with no Node dependency, so it is tested as a plain program
// linked against Debian's libcrypto (libssl-dev, installed by
// scripts/setup.sh); the addon itself uses the OpenSSL inside node. Leak
// detection is on: every OpenSSL object is owned by an RAII wrapper, and a
// leak is a bug.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'srtp_test',
  source: path.join(__dirname, 'srtp_test.cc'),
  sources: ['srtp'],
  minSources: 2,
  libs: ['crypto'],
  minChecks: 2500,
});
