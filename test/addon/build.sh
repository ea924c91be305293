#!/usr/bin/env bash
# Builds the ring test addon (webrtc_agent_ring.node: the rings' JS face for
# tests and benchmarks, test/kit/ring/native.ts) into test/addon/build, and
# compiles the ring test kit (test/kit) into dist-test/. Incremental: the
# first run configures, later runs rebuild what changed. `npm test` runs it;
# so does scripts/asan-test.sh (in its scratch copy, with ASan flags).
set -euo pipefail
cd "$(dirname "$0")"
# The addon's per-thread machinery is shared with the product build, so the
# node-addon-api and node-gyp of the project are used, through npx.
if [ ! -f build/Makefile ]; then npx --no-install node-gyp configure --loglevel=warn >/dev/null; fi
npx --no-install node-gyp build -j 2 --loglevel=warn >/dev/null
cd ../..
npx --no-install tsc -p test/kit/tsconfig.json
