#!/usr/bin/env bash
# A year of every feed at a real-service-like latency, against the bound the
# rate limit sets: `soi backfill --source all` over the 252 trading days of 2024
# (SPY, VIX, options within +/-1% on the nearest expiration, news) against one
# `soi simulate --fault slow:delay_ms=150` (every REST answer 150 ms late) with
# the default max_requests_per_second (50).
# Prints: wall time and peak RSS (/usr/bin/time), the requests the simulator
# served, the bound (requests / rate) and wall / bound, and the most requests
# the simulator's request log shows in any one-second window.
#   bench/backfill_year.sh [SOI_BINARY]     (default build/release/src/soi)
# FROM/TO override the span (e.g. a quarter for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
SOI=${1:-${BUILD:-build/release}/src/soi}
FROM=${FROM:-2024-01-02}
TO=${TO:-2024-12-31}
RATE=$(sed -n 's/^max_requests_per_second: *\([0-9.]*\).*/\1/p' config/sources.yaml)

work=$(mktemp -d)
source scripts/simulator_lib.sh
start_simulator "$SOI" "$work" --fault slow:delay_ms=150 --request-log "$work/requests.log"
base="http://127.0.0.1:$SIM_PORT"

MASSIVE_API_KEY=bench-key-0000 /usr/bin/time -o "$work/time" -f "%e %M" \
  "$SOI" --config config backfill --source all --from "$FROM" --to "$TO" \
  --base-url "$base" --data-dir "$work/data" --json >"$work/summary.json" 2>"$work/soi.err" || {
  echo "soi backfill failed:" >&2
  tail -20 "$work/soi.err" >&2
  exit 1
}
read -r wall rss_kb <"$work/time"

python3 - "$work/summary.json" "$work/requests.log" "$wall" "$rss_kb" "$RATE" <<'PY'
import collections, json, sys
summary = json.load(open(sys.argv[1]))
arrivals = sorted(int(line.split()[0]) for line in open(sys.argv[2]) if line.strip())
wall, rss_mib, rate = float(sys.argv[3]), int(sys.argv[4]) / 1024, float(sys.argv[5])
# The most requests in any window [t, t + 1000 ms): two pointers over the sorted arrivals.
most, lo = 0, 0
for hi, t in enumerate(arrivals):
    while arrivals[lo] <= t - 1000:
        lo += 1
    most = max(most, hi - lo + 1)
bound = len(arrivals) / rate
print(f"soi backfill --source all: {summary['days']} trading days, {summary['rows']} rows, status {summary['status']}")
for f in summary['feeds']:
    print(f"  {f['feed']:<18} rows {f['rows']:>10}")
print(f"requests served {len(arrivals)} (soi counted {summary['http_requests']}), rate limit {rate:g}/s")
print(f"wall {wall:.1f} s; bound set by the rate limit {bound:.1f} s; wall / bound {wall / bound:.2f} (goal <= 1.25)")
print(f"peak RSS {rss_mib:.0f} MiB (goal <= 300)")
print(f"most requests in any one-second window: {most} (limit {rate:g})")
PY
