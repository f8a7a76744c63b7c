#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz) for FUZZ_SECONDS each and prints, per
# target: executions, executions per second, coverage (cov = edges, ft = features),
# corpus size and crashes. Used by `make fuzz`; see docs/reliability.md.
#
#   FUZZ_SECONDS=60        time per target
#   FUZZ_TARGETS="a b"     a subset (default: every tests/fuzz/*_fuzz.cpp)
#   FUZZ_PARALLEL=1        targets run at once (at most 2 on a shared 2-core machine)
#   FUZZ_NO_BUILD=1        skip configuring and building the fuzz preset
#
# The committed seeds (tests/fuzz/corpus/<target>) are read, never written: new
# inputs go to build/fuzz-corpus/<target>, crash/leak/timeout inputs to
# build/fuzz-artifacts/<target>-*, the fuzzer's log to build/fuzz-logs/<target>.log.
# Exit status: 0 when no target found anything, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
parallel=${FUZZ_PARALLEL:-1}
targets=${FUZZ_TARGETS:-$(ls tests/fuzz/*_fuzz.cpp | sed 's|.*/||; s|_fuzz\.cpp$||' | tr '\n' ' ')}

if [[ -z "${FUZZ_NO_BUILD:-}" ]]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j2
fi

# Largest input worth trying per target: a few pages / frames / files, not megabytes.
max_len() {
  case "$1" in
    occ_ticker) echo 64 ;;
    spill_batch|wal_recovery|sim_request|ws_frame|s3_xml|clickhouse_error) echo 8192 ;;
    *) echo 16384 ;;
  esac
}

mkdir -p build/fuzz-corpus build/fuzz-artifacts build/fuzz-logs
# The WAL and config targets write their input to scratch files: memory, not the disk.
if [[ -z "${TMPDIR:-}" && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi

run_one() {
  local t=$1
  mkdir -p "build/fuzz-corpus/$t"
  touch "build/fuzz-logs/$t.log.start"  # artifacts newer than this are this run's findings
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a parser must not need GBs.
  "build/fuzz/tests/fuzz/fuzz_$t" "build/fuzz-corpus/$t" "tests/fuzz/corpus/$t" \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="build/fuzz-artifacts/$t-" -print_final_stats=1 \
    >"build/fuzz-logs/$t.log" 2>&1 || true
}

running=0
for t in $targets; do
  [[ -x "build/fuzz/tests/fuzz/fuzz_$t" ]] || { echo "no fuzz target $t (build the fuzz preset)" >&2; exit 2; }
  echo "fuzzing $t for ${seconds}s" >&2
  run_one "$t" &
  running=$((running + 1))
  if (( running >= parallel )); then wait -n || true; running=$((running - 1)); fi
done
wait

status=0
printf '%-16s %8s %12s %9s %7s %7s %8s %8s\n' target seconds execs execs/s cov ft corpus crashes
for t in $targets; do
  log="build/fuzz-logs/$t.log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  # crash-, leak-, timeout-, oom- inputs; slow-unit- ones are a report (10 s on a loaded machine), not a finding.
  crashes=$(find build/fuzz-artifacts -maxdepth 1 -name "$t-*" ! -name "$t-slow-unit-*" -newer "$log.start" \
              2>/dev/null | wc -l)
  if grep -qE '^==[0-9]+==ERROR|^SUMMARY: |deadly signal|fuzz invariant broken' "$log"; then
    crashes=$((crashes > 0 ? crashes : 1))
  fi
  (( crashes > 0 )) && status=1
  printf '%-16s %8s %12s %9s %7s %7s %8s %8s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$crashes"
done
(( status == 0 )) || echo "findings: see build/fuzz-logs/<target>.log and build/fuzz-artifacts/" >&2
exit $status
