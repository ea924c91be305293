// Builds and runs the native unit tests of addon/rtp/retransmitter
// (test/native/retransmitter_test.cc) under AddressSanitizer +
// UndefinedBehaviorSanitizer: which NACKed packets a subscriber is sent
// again, and the RTX form of a repair.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'retransmitter_test',
  source: path.join(__dirname, 'retransmitter_test.cc'),
  sources: ['rtp/retransmitter.cc', 'rtp/rtp_packet.cc'],
  minSources: 2,
  minChecks: 40,
});
