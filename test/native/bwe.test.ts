// Builds and runs the native unit tests of the send-side bandwidth
// estimator (addon/bwe) and the transport-cc feedback parser
// (addon/rtp/transport_cc.*) -- test/native/bwe_test.cc: a simulated
// bottleneck on a fake clock (convergence, a step down, random loss) and
// the parser against hand-made and TwccFeedback-written packets, and the
// writing of the transport-wide number into sent and padding packets -- under
// AddressSanitizer + UndefinedBehaviorSanitizer.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'bwe_test',
  source: path.join(__dirname, 'bwe_test.cc'),
  sources: ['bwe', 'rtp/transport_cc.cc', 'rtp/transport_sequence.cc', 'rtp/rtp_packet.cc', 'rtp/twcc_feedback.cc', 'rtp/rtcp.cc'],
  minSources: 14,
  minChecks: 80,
});
