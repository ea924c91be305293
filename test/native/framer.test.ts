// Builds and runs the native unit tests of addon/net/rfc4571_framer
// (test/native/framer_test.cc: the RFC 4571 framing of ICE-TCP, cut at
// every point, empty and too-long frames) under AddressSanitizer +
// UndefinedBehaviorSanitizer, like rtp.test.ts. Pure C++, no libraries.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'framer_test',
  source: path.join(__dirname, 'framer_test.cc'),
  sources: ['net/rfc4571_framer.cc'],
  minSources: 1,
  minChecks: 3000,
});
