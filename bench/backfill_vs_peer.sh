#!/usr/bin/env bash
# soi backfill against the official Massive/Polygon Python client, in one run
# against one `soi simulate --fault slow:delay_ms=150:path=/v2/aggs` (every
# aggregates page answered after 150 ms, like the real service): 20 trading
# days of SPY (2025-01-02 .. 2025-01-31), then the peer (../shared/peers/
# peer_list_aggs.py, RESTClient.list_aggs day by day) over the same days.
# Prints the wall times (soi also with max_days_in_flight=1; with the default,
# the median of five runs after an untimed one) and the ratio. The peer fetches
# the whole extended day (04:00-20:00, ~36,600 bars) where soi fetches the
# regular session (~23,000): the page count per day is the same (one
# 50,000-bar page), so wall time is comparable.
#   bench/backfill_vs_peer.sh [SOI_BINARY]     (default build/release/src/soi)
# Extra soi settings go through the environment, e.g. SOI_SOURCES_MAX_DAYS_IN_FLIGHT=1.
set -euo pipefail
cd "$(dirname "$0")/.."
SOI=${1:-${BUILD:-build/release}/src/soi}
PEER=${PEER:-../shared/peers/peer_list_aggs.py}  # beside the repository; PEER= overrides (a worktree elsewhere)
FROM=2025-01-02
TO=2025-01-31

if [[ ! -f $PEER ]]; then
  echo "backfill_vs_peer: the peer script $PEER is missing (expected beside the repository)" >&2
  exit 1
fi

work=$(mktemp -d)
source scripts/simulator_lib.sh
start_simulator "$SOI" "$work" --fault slow:delay_ms=150:path=/v2/aggs
base="http://127.0.0.1:$SIM_PORT"

now() { date +%s.%N; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
# soi_backfill NAME [VAR=VALUE...]: one timed backfill into $work/NAME; sets soi_s.
soi_backfill() {
  local name=$1
  shift
  local start
  start=$(now)
  env MASSIVE_API_KEY=bench-key-0000 "$@" "$SOI" --config config backfill --source spy --from "$FROM" --to "$TO" \
    --base-url "$base" --data-dir "$work/$name" --json >"$work/$name.json" 2>"$work/$name.err" || {
    echo "soi backfill failed:" >&2
    cat "$work/$name.err" >&2
    exit 1
  }
  soi_s=$(echo "$(now) - $start" | bc)
}
soi_backfill sequential SOI_SOURCES_MAX_DAYS_IN_FLIGHT=1
sequential_s=$soi_s
# One untimed run first: the simulator's first burst of concurrent connections
# starts threads and grows its allocator's arenas, a cold start the real
# service (always warm) does not have; the peer's run, last, finds it warm too.
soi_backfill warmup
# Five runs, the median taken: a one-second run on a shared 2-core machine
# varies by a fifth from one run to the next.
runs=()
for run in 1 2 3 4 5; do
  soi_backfill "soi$run"
  runs+=("$soi_s")
done
soi_s=$(printf '%s\n' "${runs[@]}" | LC_ALL=C sort -n | sed -n 3p)
for run in 1 2 3 4 5; do
  if [[ ${runs[$((run - 1))]} == "$soi_s" ]]; then cp "$work/soi$run.json" "$work/soi.json"; fi
done

start=$(now)
peer_out=$(python3 "$PEER" "$base" "$FROM" "$TO")
peer_s=$(echo "$(now) - $start" | bc)

python3 - "$work/soi.json" "$soi_s" "$peer_s" "$peer_out" "$sequential_s" "${runs[*]}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
soi_s, peer_s, sequential_s = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[5])
peer_bars = sys.argv[4].split()[0]
d = s['feeds'][0]['day_results']
print(f"soi backfill --source spy, max_days_in_flight=1: wall {sequential_s:.2f} s")
print(f"soi backfill --source spy (sources.yaml max_days_in_flight): {s['days']} days, {s['rows']} rows, "
      f"wall {soi_s:.2f} s, the median of {sys.argv[6]} "
      f"(commits {sum(x['commit_seconds'] for x in d):.2f} s of it, one after another)")
print(f"peer list_aggs (official Python client): {peer_bars} bars, wall {peer_s:.2f} s")
print(f"soi is {peer_s / soi_s:.1f}x faster than the peer (wall time, same days, same server)")
PY
