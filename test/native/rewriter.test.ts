// Builds and runs the native unit tests of addon/router/rtp_rewriter
// (test/native/rewriter_test.cc) under AddressSanitizer +
// UndefinedBehaviorSanitizer: the subscriber's numbering and its mapping
// back for NACKs passed upstream.
import t from 'tap';
import * as path from 'node:path';
import { runNativeTest } from '../helpers/native';

runNativeTest(t, {
  name: 'rewriter_test',
  source: path.join(__dirname, 'rewriter_test.cc'),
  sources: ['router/rtp_rewriter.cc'],
  minSources: 1,
  minChecks: 20,
});
