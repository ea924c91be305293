// Builds and runs the native unit tests of addon/layers' VP9 SVC parts (the
// VP9 payload descriptor, Vp9Selector; test/native/vp9_test.cc) under
// AddressSanitizer + UndefinedBehaviorSanitizer, on hand-made payloads.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'vp9_test',
  source: path.join(__dirname, 'vp9_test.cc'),
  sources: ['layers/vp9_descriptor.cc', 'layers/vp9_selector.cc', 'rtp/keyframe.cc', 'rtp/picture_size.cc'],
  minSources: 4,
  minChecks: 550,
});
