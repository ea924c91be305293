#!/usr/bin/env bash
# Installs what webrtc-agent needs on a Debian 12 machine (run as root), then
# installs the npm dependencies, which builds the native addon and the
# TypeScript. Idempotent: packages already present are not fetched again.
#
#   bash scripts/setup.sh             everything the tests need too
#   bash scripts/setup.sh --runtime   only what running the agent needs
#
# Needs Node.js >= 20 with npm, and a C++ toolchain (g++, make, python3) for
# node-gyp; the addon builds against Node's own headers and OpenSSL.
set -euo pipefail
cd "$(dirname "$0")/.."

# The agent itself needs only NATS (for its embedded default).
RUNTIME_PACKAGES=(nats-server)
# Its tests also use: clang and libFuzzer for
# fuzzing the native parsers (clang++ -fsanitize=fuzzer links the libFuzzer
# runtime from libclang-rt-14-dev, which clang only recommends); GStreamer, a
# real RTP peer for the media tests; Chromium, the real WebRTC client of the
# browser tests (driven by playwright-core, never a downloaded browser).
# libssl-dev: libcrypto for the standalone addon/ice test and fuzzer
# (MESSAGE-INTEGRITY is HMAC-SHA1; the addon itself uses Node's OpenSSL),
# and likewise for addon/srtp's test, fuzzer and bench (AES-CM/GCM, HMAC),
# and libssl for addon/dtls's test and fuzzer (DTLS 1.2).
# iproute2: the network namespaces of the ICE-TCP test (a client without
# UDP); coturn: the TURN server the relay tests run on free ports;
# openssl: the CA and certificates of the NATS TLS test.
TEST_PACKAGES=(clang libfuzzer-14-dev libclang-rt-14-dev gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good chromium libssl-dev firefox-esr python3-gi python3-gst-1.0 gir1.2-gst-plugins-bad-1.0 gstreamer1.0-nice gstreamer1.0-plugins-bad iproute2 coturn openssl)

APT_PACKAGES=("${RUNTIME_PACKAGES[@]}")
[ "${1:-}" = "--runtime" ] || APT_PACKAGES+=("${TEST_PACKAGES[@]}")

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
for tool in g++ make python3; do
  command -v "$tool" >/dev/null || missing+=("$([ "$tool" = g++ ] && echo g++ || echo "$tool")")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node -e 'const [M]=process.versions.node.split(".").map(Number); if (M<20) { console.error("setup: Node.js >= 20 is required, found "+process.versions.node); process.exit(1) }'

# npm ci runs node-gyp (the addon) and tsc (prepare). Headers come from the
# local Node installation (NodeSource's package ships them in
# <prefix>/include/node); nothing but npm packages is downloaded. Without
# nodedir, node-gyp would fetch the headers from nodejs.org.
node_prefix=$(node -p 'require("node:path").resolve(process.execPath, "..", "..")')
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node.h" ]; then
  export npm_config_nodedir="$node_prefix"
fi
npm ci --no-audit --no-fund
