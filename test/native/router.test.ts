// Builds and runs the native unit tests of the router's parts
// (test/native/router_test.cc and the *_part_test.cc files it runs: the
// key-frame gate, the track table, the fan-out, the retransmission responder
// and its send buffer, upstream feedback, RTX unwrapping, the RTCP scheduler
// with SR mapping and bitrates) under AddressSanitizer +
// UndefinedBehaviorSanitizer, against transport::Transport doubles.
import t from 'tap';
import * as path from 'node:path';

import { runNativeTest } from '../helpers/native';

const parts = [
  'keyframe_gate',
  'track_table',
  'fanout',
  'retransmission_responder',
  'upstream_feedback',
  'rtx_unwrapper',
  'rtcp_scheduler',
  'repair_budget',
  'layer_control',
];

runNativeTest(t, {
  name: 'router_test',
  source: path.join(__dirname, 'router_test.cc'),
  sources: [
    ...parts.map((p) => `router/${p}.cc`),
    'router/sr_mapping.cc',
    'router/rtp_rewriter.cc',
    // Fan-out and the track table serve layered subscriptions too.
    'router/subscription_layers.cc',
    'layers',
    'transport/transport.cc',
    // What the parts and Track/Subscription use of addon/rtp (not the whole
    // folder: each file is an ASan compile).
    'rtp/rtp_packet.cc',
    'rtp/rtcp.cc',
    'rtp/receive_stats.cc',
    'rtp/nack_generator.cc',
    'rtp/retransmitter.cc',
    ...parts.map((p) => `../test/native/${p}_part_test.cc`),
    '../test/native/layered_fanout_part_test.cc',
  ],
  minSources: 24,
  minChecks: 165,
});
