#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (unit, in-process server
# and end-to-end tests against the real retrod), then the sanitizer and
# fuzzing half (sanitize.sh) unless RETRO_SANITIZERS=0.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/deploy/dev/setup.sh"
cd "$BUILD_DIR"
ctest --output-on-failure -j "${RETRO_TEST_JOBS:-2}" --timeout 600
if [ "${RETRO_SANITIZERS:-1}" != "0" ]; then
  bash "$ROOT/deploy/dev/sanitize.sh"
fi
