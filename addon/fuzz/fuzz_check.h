// FUZZ_CHECK: an invariant the fuzz targets assert on every input. A failed
// check aborts, which libFuzzer reports as a crash and saves the input, so a
// wrong answer is caught as surely as an out-of-bounds read.
#ifndef WEBRTC_AGENT_ADDON_FUZZ_FUZZ_CHECK_H_
#define WEBRTC_AGENT_ADDON_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,      \
                   __LINE__, #cond);                                       \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

#endif  // WEBRTC_AGENT_ADDON_FUZZ_FUZZ_CHECK_H_
