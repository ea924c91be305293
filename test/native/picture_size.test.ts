// Builds and runs the native unit tests of the picture sizes read from key
// frames (test/native/picture_size_test.cc: H264 SPS, VP8, VP9, AV1) under
// AddressSanitizer + UndefinedBehaviorSanitizer.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'picture_size_test',
  source: path.join(__dirname, 'picture_size_test.cc'),
  sources: ['rtp'],
  minSources: 4,
  minChecks: 60,
});
