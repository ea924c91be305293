// Builds and runs the native unit tests of addon/rtp's receive side
// (test/native/feedback_test.cc: ReceiveStats, NackGenerator and the RTCP
// they produce) under AddressSanitizer + UndefinedBehaviorSanitizer.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'feedback_test',
  source: path.join(__dirname, 'feedback_test.cc'),
  sources: ['rtp'],
  minSources: 5,
  minChecks: 150,
});
