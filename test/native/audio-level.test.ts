// Builds and runs the native unit tests of addon/audio/audio_level
// (test/native/audio_level_test.cc) under AddressSanitizer +
// UndefinedBehaviorSanitizer: the RFC 6464 byte and the per-track meter.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'audio_level_test',
  source: path.join(__dirname, 'audio_level_test.cc'),
  sources: ['audio/audio_level.cc', 'rtp/rtp_packet.cc'],
  minSources: 2,
  minChecks: 40,
});
