// The check machinery shared by the native unit tests (rtp_test.cc,
// stun_test.cc, srtp_test.cc, dtls_test.cc, rewriter_test.cc): plain programs with no test
// framework, built with ASan+UBSan by the tap wrappers in this folder
// (through test/helpers/native.ts).
//
// CHECK counts instead of aborting, so one run reports every failure (file,
// line, expression on stderr). main ends with `return ReportChecks("x_test");`,
// which prints "x_test: N checks passed, M failed" and returns 1 if M > 0.
// The tap wrapper parses that line and checks N against a floor too, so a
// build that runs no checks cannot pass: keep the format exactly.
//
// Header-only; a program may include it from several translation units
// (counts() is inline, so its static is one object per program).
#ifndef WEBRTC_AGENT_TEST_NATIVE_CHECK_H_
#define WEBRTC_AGENT_TEST_NATIVE_CHECK_H_

#include <cstdio>

namespace webrtc_agent::native_test {

struct Counts {
  int passed = 0;
  int failed = 0;
};

inline Counts& counts() {
  // Function-local static in a test program; the addon itself has none.
  static Counts c;
  return c;
}

// Prints the summary line the tap wrapper parses; returns main's exit status.
inline int ReportChecks(const char* name) {
  std::printf("%s: %d checks passed, %d failed\n", name, counts().passed,
              counts().failed);
  return counts().failed == 0 ? 0 : 1;
}

}  // namespace webrtc_agent::native_test

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (cond) {                                                        \
      ++::webrtc_agent::native_test::counts().passed;                  \
    } else {                                                           \
      ++::webrtc_agent::native_test::counts().failed;                  \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,      \
                   __LINE__, #cond);                                   \
    }                                                                  \
  } while (0)

#define CHECK_EQ(a, b) CHECK((a) == (b))

#endif  // WEBRTC_AGENT_TEST_NATIVE_CHECK_H_
