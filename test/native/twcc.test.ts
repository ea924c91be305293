// Builds and runs the native unit tests of addon/rtp's transport-wide
// congestion control feedback (test/native/twcc_test.cc: TwccFeedback and
// the RTCP transport-cc packets it writes, byte for byte and parsed back)
// under AddressSanitizer + UndefinedBehaviorSanitizer.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'twcc_test',
  source: path.join(__dirname, 'twcc_test.cc'),
  sources: ['rtp'],
  minSources: 6,
  minChecks: 60,
});
