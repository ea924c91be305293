// Builds and runs the native unit tests of addon/rtp (test/native/rtp_test.cc)
// under AddressSanitizer + UndefinedBehaviorSanitizer. The packet layer is
// pure C++ with no Node dependency, so it is tested as a plain program: a
// bounds bug shows up here as an ASan report, not as a crashed agent.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'rtp_test',
  source: path.join(__dirname, 'rtp_test.cc'),
  sources: ['rtp'],
  minSources: 3,
  minChecks: 400,
});
