#!/usr/bin/env bash
# Builds the libFuzzer targets of addon/fuzz/ and runs each for a bounded
# time. Exits non-zero if a target fails to build or finds a crash (ASan,
# UBSan, a failed invariant, a timeout or running out of memory).
#
#   bash scripts/fuzz.sh [seconds-per-target]     (default 60)
#   FUZZ_TARGETS="rtp" bash scripts/fuzz.sh 300   (a subset)
#
# Needs clang++ with its libFuzzer runtime (Debian: clang, libclang-rt-14-dev;
# scripts/setup.sh installs them). Targets build into build/fuzz/; inputs the
# fuzzer finds go to a temporary corpus, so addon/fuzz/corpus/ (the seeds)
# only changes by hand. A crashing input is kept as build/fuzz/<target>-{crash,timeout,oom}-*
# and its path printed: replay it with `build/fuzz/<target>_fuzzer <file>`.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz: usage: $0 [seconds-per-target]" >&2
  exit 2
fi
targets=${FUZZ_TARGETS:-"rtp rtcp feedback twcc retransmit stun srtp dtls framer bwe layers vp9"}
CXX=${FUZZ_CXX:-clang++}
if ! command -v "$CXX" >/dev/null; then
  echo "fuzz: $CXX not found (install clang and libclang-rt-14-dev, or run scripts/setup.sh)" >&2
  exit 1
fi

out=build/fuzz
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# -fno-sanitize-recover: a UBSan finding must abort (and be saved as a crash),
# not print and carry on. The library sources are compiled into each target
# so that their coverage guides the fuzzer.
CXXFLAGS=(-std=c++17 -g -O1 -fno-exceptions -fno-omit-frame-pointer
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
  -Wall -Wextra -Iaddon)

failed=0
pids=()
for t in $targets; do
  src=addon/fuzz/${t}_fuzzer.cc
  if [ ! -f "$src" ]; then
    echo "fuzz: no target $src" >&2
    failed=1
    continue
  fi
  # Sources and libraries a target needs beyond addon/rtp: stun fuzzes
  # addon/ice, whose MESSAGE-INTEGRITY is OpenSSL's HMAC (libssl-dev).
  extra=()
  case "$t" in
    # rtp: the audio level read from each packet (addon/audio/audio_level).
    rtp) extra=(addon/audio/audio_level.cc) ;;
    stun) extra=(addon/ice/*.cc -lcrypto) ;;
    # srtp: addon/srtp is AES/HMAC over OpenSSL EVP (libssl-dev here too).
    srtp) extra=(addon/srtp/*.cc -lcrypto) ;;
    # dtls: addon/dtls is a DtlsTransport over OpenSSL's libssl: what a
    # hostile peer's records do to our handshake and record handling.
    dtls) extra=(addon/dtls/*.cc -lssl -lcrypto) ;;
    # framer: the RFC 4571 framing of ICE-TCP, a byte stream from a peer.
    framer) extra=(addon/net/rfc4571_framer.cc) ;;
    # bwe: transport-cc feedback from a subscriber, read and fed to the
    # send-side bandwidth estimator of addon/bwe.
    bwe) extra=(addon/bwe/*.cc) ;;
    # layers: simulcast/temporal layer selection and VP8 numbering rewrites.
    layers) extra=(addon/layers/*.cc addon/router/rtp_rewriter.cc) ;;
    # vp9: VP9 SVC descriptor parsing and spatial/temporal layer selection.
    vp9) extra=(addon/layers/vp9_*.cc addon/router/rtp_rewriter.cc) ;;
  esac
  if ! "$CXX" "${CXXFLAGS[@]}" "$src" addon/rtp/*.cc "${extra[@]}" -o "$out/${t}_fuzzer"; then
    echo "fuzz: build of $t failed" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] || exit 1

# Targets run side by side (one per core on a 2-core CI machine), each with
# its own log. -max_len 1500: one packet off an Ethernet-MTU path.
# -timeout 5: a single input taking seconds is a hang. -rss_limit_mb: an
# input that makes a parser allocate without bound is a finding too.
for t in $targets; do
  mkdir -p "$work/$t"
  (
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$out/${t}_fuzzer" \
      -max_total_time="$seconds" -max_len=1500 -timeout=5 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$out/$t-" \
      "$work/$t" "addon/fuzz/corpus/$t" >"$work/$t.log" 2>&1
  ) &
  pids+=($!)
done

i=0
for t in $targets; do
  if wait "${pids[$i]}"; then
    runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$work/$t.log" | tail -n1)
    cov=$(grep -E '^#[0-9]+.*cov: ' "$work/$t.log" | tail -n1 | sed -nE 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/cov \1, features \2, corpus \3/p')
    echo "fuzz: $t ok: ${runs:-?} inputs in ${seconds} s (${cov:-no stats})"
  else
    failed=1
    echo "fuzz: $t FAILED; last lines of its log:" >&2
    tail -n 60 "$work/$t.log" >&2
    ls "$out/$t"-* 2>/dev/null | sed 's/^/fuzz: crashing input: /' >&2
  fi
  i=$((i + 1))
done
exit "$failed"
