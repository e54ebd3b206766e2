#!/usr/bin/env bash
# The sanitizer and fuzzing half of CI (test.sh runs it after the plain
# suite):
#   asan  the whole test suite built with clang under AddressSanitizer and
#         UndefinedBehaviorSanitizer (./build-asan);
#   fuzz  each libFuzzer target for RETRO_FUZZ_SECONDS (20) from its corpus
#         in tests/fuzz/corpus/ (new inputs go to a scratch copy);
#   tsan  the live hub's and the index write pipeline's tests under
#         ThreadSanitizer (./build-tsan).
# RETRO_SANITIZE_STEPS picks steps ("asan fuzz tsan" by default).
# Assumes setup.sh has installed the packages.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jobs="${RETRO_BUILD_JOBS:-$(nproc)}"
fuzz_seconds="${RETRO_FUZZ_SECONDS:-20}"
steps="${RETRO_SANITIZE_STEPS:-asan fuzz tsan}"
fuzzers=(query_fuzz analyzer_fuzz record_fuzz request_fuzz)

# Errors are fatal and loud. gRPC and RocksDB from Debian are not built
# with ASan, so their globals are not checked for ODR violations.
export ASAN_OPTIONS="detect_leaks=1:detect_odr_violation=0:abort_on_error=1:print_summary=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$ROOT/tests/fuzz/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

configure() {  # build dir, sanitizers, fuzz ON/OFF
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DRETRO_SANITIZE="$2" \
    -DRETRO_FUZZ="$3" -DRETRO_BENCHMARKS=OFF >/dev/null
}

if [[ "$steps" == *asan* ]]; then
  echo "sanitize: the whole suite under ASan + UBSan (build-asan)"
  configure "$ROOT/build-asan" address,undefined ON
  cmake --build "$ROOT/build-asan" -j "$jobs"
  # Not quickstart_test: it runs the docs' own set-up, which rebuilds
  # ./build and serves from there; the plain run has covered it.
  (cd "$ROOT/build-asan" &&
    ctest --output-on-failure -j "${RETRO_TEST_JOBS:-2}" --timeout 900 -E '^quickstart_test$')
fi

if [[ "$steps" == *fuzz* ]]; then
  echo "sanitize: fuzzing each target for ${fuzz_seconds} s"
  configure "$ROOT/build-asan" address,undefined ON
  cmake --build "$ROOT/build-asan" -j "$jobs" --target "${fuzzers[@]}"
  scratch="$(mktemp -d)"
  for fuzzer in "${fuzzers[@]}"; do
    mkdir -p "$scratch/$fuzzer"
    if ! (cd "$scratch" && "$ROOT/build-asan/tests/fuzz/$fuzzer" \
      -max_total_time="$fuzz_seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
      "$scratch/$fuzzer" "$ROOT/tests/fuzz/corpus/$fuzzer" 2>"$scratch/$fuzzer.log"); then
      tail -n 60 "$scratch/$fuzzer.log"
      echo "sanitize: $fuzzer failed; the input that did it is in $scratch" >&2
      exit 1
    fi
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$fuzzer.log" |
      grep -o '[0-9]*$' || true)"
    echo "sanitize: $fuzzer: ${runs:-?} executions in ${fuzz_seconds} s, no failure"
  done
  rm -rf "$scratch"
fi

if [[ "$steps" == *tsan* ]]; then
  echo "sanitize: the live hub's and the index write pipeline's tests under TSan (build-tsan)"
  configure "$ROOT/build-tsan" thread OFF
  cmake --build "$ROOT/build-tsan" -j "$jobs" --target session_hub_test write_pipeline_test
  "$ROOT/build-tsan/services/live/session_hub_test"
  "$ROOT/build-tsan/storage/index/write_pipeline_test"
fi
