// Builds and runs the native unit tests of addon/layers (the VP8 payload
// descriptor and rewriter, the layer selector, the allocator), with the
// drop path of router/rtp_rewriter and rtp/continuity_map.h
// (test/native/layers_test.cc) under AddressSanitizer +
// UndefinedBehaviorSanitizer, on hand-made packets and inputs.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'layers_test',
  source: path.join(__dirname, 'layers_test.cc'),
  sources: ['layers', 'router/rtp_rewriter.cc', 'rtp/keyframe.cc', 'rtp/picture_size.cc'],
  minSources: 6,
  minChecks: 300,
});
