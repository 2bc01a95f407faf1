#!/usr/bin/env bash
# scripts/test.sh -- the whole gate, as CI runs it (.ci/run):
#   deps        install the missing Debian packages of the groups build + test
#   configure   build/       RelWithDebInfo, -DLTS_WERROR=ON
#   build       cmake --build build
#   npm         npm ci --prefix web: chart.js for the console, playwright-core for the browser test
#               (tests/admin/browser, labelled browser; it drives /usr/bin/chromium)
#   services    ZooKeeper, Redis, PostgreSQL, SMTP sink on 127.0.0.1 (scripts/lib/services.sh)
#   test        ctest --test-dir build (every test, the browser test included)
#   asan-configure / asan-build / asan-test
#               build-asan/ Debug with ASan+UBSan: the target lts_unit_tests only (the test
#               binaries labelled unit and the lts binary), then the tests labelled unit (not the
#               browser test, nor any other integration test)
#   fuzz        build-fuzz/ with clang (-DLTS_FUZZ=ON: libFuzzer, ASan, UBSan), then
#               fuzz_frame_decoder for LTS_FUZZ_SECONDS (default 60) on a copy of its seed
#               corpus; a crash, leak, UB report, timeout or OOM fails it (the input is kept
#               in build-fuzz/artifacts/)
# Exits non-zero if any phase failed; ends with a summary of every phase and its time.
#
# Usage: scripts/test.sh [--skip-asan] [--skip-tsan] [--skip-fuzz] [--only REGEX]
#   --skip-asan    skip the three asan phases
#   --skip-tsan    skip the tsan and thread-safety phases
#   --skip-fuzz    skip the fuzz phase
#   --only REGEX   pass -R REGEX to both ctest runs
# Builds take /tmp/lts-build.lock (one build at a time on this machine); running this script under
# `flock /tmp/lts-build.lock scripts/test.sh` works too.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR/..
source scripts/lib/deps.sh
source scripts/lib/services.sh

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }

SKIP_ASAN=0
SKIP_FUZZ=0
SKIP_TSAN=0
ONLY=""
while [ "$#" -gt 0 ]; do
  case $1 in
    --skip-asan) SKIP_ASAN=1 ;;
    --skip-fuzz) SKIP_FUZZ=1 ;;
    --skip-tsan) SKIP_TSAN=1 ;;
    --only) [ "$#" -ge 2 ] || { echo "--only needs a regex" >&2; exit 2; }; ONLY=$2; shift ;;
    --only=*) ONLY=${1#--only=} ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

JOBS=$(nproc 2>/dev/null || echo 2)
ASAN_OPTS="halt_on_error=1:abort_on_error=0:detect_leaks=1:print_stacktrace=1:check_initialization_order=1"
UBSAN_OPTS="halt_on_error=1:print_stacktrace=1:report_error_type=1"

ALL_PHASES=(deps configure build npm services test asan-configure asan-build asan-test tsan
            thread-safety fuzz)
declare -A PHASE_RESULT=() PHASE_SECS=()
CTEST_LINES=()
FAILED_PHASES=()
T_PASSED=0 T_FAILED=0 T_SKIPPED=0 T_RUNS=0
PHASE_COUNT=${#ALL_PHASES[@]}
PHASE_INDEX=0
CURRENT_PHASE=""
CURRENT_T0=0

_now_us() { printf -v "$1" '%s' "${EPOCHREALTIME//[!0-9]/}"; }
_secs_since() {   # _secs_since VAR START_US -> "12.3"
  local _n _d
  _now_us _n
  _d=$(( (_n - $2) / 100000 ))
  printf -v "$1" '%d.%d' $(( _d / 10 )) $(( _d % 10 ))
}
_now_us T_START

header() {
  printf '\n==== [%d/%d] %s  (%s)\n' "$PHASE_INDEX" "$PHASE_COUNT" "$*" "$(date '+%H:%M:%S')"
}

record() {   # record NAME RESULT SECONDS
  PHASE_RESULT[$1]=$2; PHASE_SECS[$1]=$3
  [ "$2" = FAIL ] && FAILED_PHASES+=("$1")
  return 0
}

# phase NAME CMD...: runs CMD as one phase; returns its status (0 = pass).
phase() {
  local name=$1 t0 secs rc=0
  shift
  PHASE_INDEX=$((PHASE_INDEX + 1))
  header "$name: $*"
  _now_us t0
  CURRENT_PHASE=$name CURRENT_T0=$t0
  "$@" || rc=$?
  CURRENT_PHASE=""
  _secs_since secs "$t0"
  if [ "$rc" -eq 0 ]; then
    record "$name" pass "$secs"
    printf '==== %s: pass (%ss)\n' "$name" "$secs"
  else
    record "$name" FAIL "$secs"
    printf '==== %s: FAILED (exit %d, %ss)\n' "$name" "$rc" "$secs"
  fi
  return "$rc"
}

skip() {   # skip NAME REASON
  PHASE_INDEX=$((PHASE_INDEX + 1))
  printf '\n==== [%d/%d] %s: skipped (%s)\n' "$PHASE_INDEX" "$PHASE_COUNT" "$1" "$2"
  record "$1" "skip" "-"
}

# run_ctest DIR [ctest args...]: ctest with the output kept in DIR/ctest.log; adds the counts of
# its closing summary to the totals (so the closing "tests:" line counts both runs). Finding no
# test is an error, except in the asan run under --only (the regex may name integration tests).
run_ctest() {
  local dir=$1 log rc summary total failed skipped no_tests=error
  shift
  [ -n "$ONLY" ] && [ "$dir" = build-asan ] && no_tests=ignore
  local -a args=(--test-dir "$dir" --output-on-failure -j"$JOBS" --no-tests="$no_tests")
  [ -n "$ONLY" ] && args+=(-R "$ONLY")
  args+=("$@")
  log="$dir/ctest.log"
  echo "+ ctest ${args[*]}"
  set +e
  ctest "${args[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -n "$summary" ]; then
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
    failed=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
    skipped=$(grep -cE '^[[:space:]]*[0-9]+ - .* \(Skipped\)$' "$log" || true)
    T_PASSED=$(( T_PASSED + total - failed - skipped ))
    T_FAILED=$(( T_FAILED + failed ))
    T_SKIPPED=$(( T_SKIPPED + skipped ))
    T_RUNS=$(( T_RUNS + 1 ))
    CTEST_LINES+=("$dir: $(( total - failed - skipped )) passed, $failed failed, $skipped skipped ($summary)")
  else
    CTEST_LINES+=("$dir: ctest printed no summary (exit $rc)")
  fi
  return "$rc"
}

with_sanitizer_env() {
  ASAN_OPTIONS=$ASAN_OPTS UBSAN_OPTIONS=$UBSAN_OPTS "$@"
}

# run_fuzz: the fuzz phase. Configures build-fuzz/ with clang, builds fuzz_frame_decoder and runs
# it for LTS_FUZZ_SECONDS on a scratch copy of the checked-in seed corpus (libFuzzer adds the inputs
# it finds to its corpus directory; the repository's stays as it is). libFuzzer exits non-zero on
# any finding and prints its final stats either way.
run_fuzz() {
  local secs=${LTS_FUZZ_SECONDS:-60} corpus rc=0
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DLTS_FUZZ=ON -DLTS_BUILD_TESTS=OFF \
    -DLTS_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo || return
  lts_with_build_lock cmake --build build-fuzz -j"$JOBS" --target fuzz_frame_decoder || return
  corpus=$(mktemp -d "${TMPDIR:-/tmp}/lts-fuzz-corpus.XXXXXX") || return
  cp tests/rpc/fuzz_corpus/* "$corpus/"
  mkdir -p build-fuzz/artifacts
  local -a cmd=(build-fuzz/bin/fuzz_frame_decoder -max_total_time="$secs" -rss_limit_mb=2048
                -timeout=30 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/ "$corpus")
  echo "+ ${cmd[*]}"
  with_sanitizer_env "${cmd[@]}" || rc=$?
  rm -rf "$corpus"
  if [ "$rc" -ne 0 ]; then
    echo "fuzz_frame_decoder failed (exit $rc); the input is in build-fuzz/artifacts/ (replay:" \
         "build-fuzz/bin/fuzz_frame_decoder <file>)" >&2
  fi
  return "$rc"
}

# run_tsan: the tests of the concurrent modules (base, net, rpc, store, registry, kv, failstore,
# jobtracker, tasktracker, client, admin) under ThreadSanitizer, in build-tsan/. Any report fails the run (halt_on_error).
run_tsan() {
  # -O1: TSan's own advice, and about half the compile time of -O2 (cmake/BuildSpeed.cmake).
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLTS_SANITIZE_THREAD=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DLTS_BUILD_BENCH=OFF -DLTS_WERROR=ON || return
  lts_with_build_lock cmake --build build-tsan -j"$JOBS" --target base_test net_test rpc_test \
    store_test registry_test kv_test failstore_test jobtracker_test tasktracker_test client_test \
    admin_test || return
  # $JOBS binaries at a time (most of their time is waiting, not CPU), each into its own log
  # in build-tsan/, printed whole when that binary fails.
  # shellcheck disable=SC2016  # $0 expands in the child shell
  printf '%s\n' base_test net_test rpc_test store_test registry_test kv_test failstore_test \
    jobtracker_test tasktracker_test client_test admin_test |
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" xargs -n 1 -P "$JOBS" sh -c '
      echo "+ build-tsan/bin/$0 (log: build-tsan/$0.log)"
      if ! "build-tsan/bin/$0" --gtest_brief=1 > "build-tsan/$0.log" 2>&1; then
        cat "build-tsan/$0.log"; echo "FAILED under TSan: build-tsan/bin/$0" >&2; exit 1
      fi'
}

# run_thread_safety: clang's -Wthread-safety analysis over every source file (GUARDED_BY,
# REQUIRES, ... from base/mutex.h expand to nothing under GCC).
run_thread_safety() {
  local pq
  pq=$(pkg-config --cflags libpq 2>/dev/null)  # src/store/postgres includes libpq-fe.h
  # One clang per file, $JOBS at a time; a file that fails is named after its diagnostics.
  # shellcheck disable=SC2016  # $0 and $LTS_TS_FLAGS expand in the child shell
  find src -name '*.cc' -print0 | sort -z |
    LTS_TS_FLAGS="$pq" xargs -0 -n 1 -P "$JOBS" sh -c '
      clang++ -std=c++20 -fsyntax-only -Wthread-safety -Wthread-safety-beta -Werror \
        -Isrc -Iinclude $LTS_TS_FLAGS -DUSE_OS_TZDB=1 -DHAS_STRING_VIEW=1 "$0" ||
        { echo "in $0" >&2; exit 1; }'
}

summary() {
  local rc=$1 i p total
  _secs_since total "$T_START"
  printf '\n================================ summary ================================\n'
  printf '%-16s %-6s %9s\n' phase result seconds
  for p in "${ALL_PHASES[@]}"; do
    printf '%-16s %-6s %9s\n' "$p" "${PHASE_RESULT[$p]:-skip}" "${PHASE_SECS[$p]:--}"
  done
  if [ "${#LTS_SERVICES_TIMES[@]}" -gt 0 ]; then
    echo "service start-up: ${LTS_SERVICES_TIMES[*]} (seconds)"
  fi
  for i in "${CTEST_LINES[@]}"; do echo "ctest $i"; done
  if [ "$rc" -eq 0 ] && [ "${#FAILED_PHASES[@]}" -eq 0 ]; then
    echo "result: PASS in ${total}s"
  else
    local why="failed: ${FAILED_PHASES[*]:-none}"
    if [ "$rc" -gt 128 ]; then why+="; interrupted by signal $(kill -l "$((rc - 128))" 2>/dev/null || echo "$((rc - 128))")"
    elif [ "$rc" -ne 0 ] && [ "${#FAILED_PHASES[@]}" -eq 0 ]; then why+="; aborted (exit $rc)"; fi
    echo "result: FAIL in ${total}s; $why"
  fi
  if [ "$T_RUNS" -gt 0 ]; then
    echo "tests: $T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
  fi
}

on_exit() {
  local rc=$? secs
  trap - EXIT
  if [ -n "$CURRENT_PHASE" ]; then          # interrupted (Ctrl-C, kill) in the middle of a phase
    _secs_since secs "$CURRENT_T0"
    record "$CURRENT_PHASE" FAIL "$secs"
  fi
  summary "$rc"
  if [ "$rc" -eq 0 ] && [ "${#FAILED_PHASES[@]}" -gt 0 ]; then rc=1; fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "LTS test gate: $(pwd), ${JOBS} jobs${ONLY:+, tests matching -R $ONLY}${CI:+, CI=$CI}"

# 1-3: dependencies and the main build. Nothing after them makes sense if they fail.
phase deps lts_deps_install build test || exit 1
phase configure cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLTS_WERROR=ON || exit 1
phase build lts_with_build_lock cmake --build build -j"$JOBS" || exit 1

# 4: the npm packages of web/ (exactly those of web/package-lock.json). Without them the browser
# test fails with a message saying so; every other test runs all the same.
phase npm npm ci --prefix web --no-audit --no-fund || true

# 5-6: services and every test. Without services, the integration tests cannot pass: skip to asan.
if phase services lts_services_start; then
  phase test run_ctest build || true
else
  skip test "services did not start"
fi

# 7-9: the unit tests again under ASan + UBSan (-L unit: the browser test is labelled browser).
if [ "$SKIP_ASAN" = 1 ]; then
  skip asan-configure "--skip-asan"
  skip asan-build "--skip-asan"
  skip asan-test "--skip-asan"
elif ! phase asan-configure cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLTS_SANITIZE=ON \
       -DLTS_BUILD_BENCH=OFF -DLTS_WERROR=ON; then
  skip asan-build "configure failed"
  skip asan-test "configure failed"
elif ! phase asan-build with_sanitizer_env lts_with_build_lock cmake --build build-asan -j"$JOBS" \
       --target lts_unit_tests; then
  skip asan-test "build failed"
else
  phase asan-test with_sanitizer_env run_ctest build-asan -L unit || true
fi

# 10-11: data races under TSan; lock annotations under clang's analysis.
if [ "$SKIP_TSAN" = 1 ]; then
  skip tsan "--skip-tsan"
  skip thread-safety "--skip-tsan"
else
  phase tsan run_tsan || true
  phase thread-safety run_thread_safety || true
fi

# 12: the frame decoder and body codecs under libFuzzer.
if [ "$SKIP_FUZZ" = 1 ]; then
  skip fuzz "--skip-fuzz"
else
  phase fuzz run_fuzz || true
fi

[ "${#FAILED_PHASES[@]}" -eq 0 ]
