#!/usr/bin/env bash
# make bench: Google Benchmark programs, the sink commit bench (a SPY day committed
# through Parquet + the consolidated DuckDB database), the end-to-end streaming bench (simulator
# -> WebSocket -> write-ahead log -> committed Parquet, and the same under an
# overload), the S3 upload bench (S3Client against curl on a loopback Swift),
# soi backfill against the official Python client (bench/backfill_vs_peer.sh), a
# year of every feed against the rate limit's bound (bench/backfill_year.sh),
# then end-to-end `soi backfill` runs and a `soi stream --once` of one
# simulated day, timed with /usr/bin/time (wall clock, peak RSS).
# Results go to stdout; copy them into docs/performance.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
SOI=$BUILD/src/soi

echo "== machine"
echo "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
for b in "$BUILD"/bench/*_bench; do
  case $(basename "$b") in
    stream_e2e_bench | s3_upload_bench | clickhouse_sink_bench | sink_commit_bench) continue ;;  # plain main(), one big unit of work per run: below
  esac
  echo "== $(basename "$b")"
  "$b" --benchmark_min_time=1
  echo
done

# Plain main(), not Google Benchmark: one simulated session (~2.9 M events) per run.
echo "== stream_e2e_bench (simulator -> loopback WebSocket -> WAL + queue -> committed Parquet)"
"$BUILD"/bench/stream_e2e_bench --repeat 5 || echo "stream_e2e_bench reported a failure (exit $?)"
echo

# Plain main(): one 200 MB upload per run, against a throw-away Swift S3 server on loopback.
echo "== s3_upload_bench (S3Client one PUT and parallel multipart vs curl --aws-sigv4, Swift s3api on loopback)"
"$BUILD"/bench/s3_upload_bench --mb 200 --part-mib 16 --parallel 4 --repeat 5 || echo "s3_upload_bench reported a failure (exit $?)"
echo

# Plain main(): one day of option bars (~100k rows) per commit, against a throw-away
# ClickHouse 18.16 on loopback.
echo "== clickhouse_sink_bench (ClickHouseSink::write of a day of option bars vs clickhouse-client TSV INSERT)"
"$BUILD"/bench/clickhouse_sink_bench --contracts 400 --bars 250 --repeat 5 || echo "clickhouse_sink_bench reported a failure (exit $?)"
echo

# Its own simulator (150 ms per aggregates page, like the real service) and the peer beside it.
echo "== soi backfill vs the official Python client (20 trading days of SPY, 150 ms per aggregates page)"
bench/backfill_vs_peer.sh "$SOI" || echo "backfill_vs_peer reported a failure (exit $?)"
echo

# Its own simulator (150 ms per REST answer); a few minutes: about 6,300 requests at 50/s.
echo "== a year of every feed (2024, 252 trading days) at 150 ms latency against the rate limit's bound"
bench/backfill_year.sh "$SOI" || echo "backfill_year reported a failure (exit $?)"
echo

work=$(mktemp -d)
source scripts/simulator_lib.sh
start_simulator "$SOI" "$work"
port=$SIM_PORT

echo "== end to end: soi backfill of 20 simulated trading days (2025-01-02 .. 2025-01-31)"
MASSIVE_API_KEY=bench-key-0000 /usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KiB" \
  "$SOI" --config config backfill --source spy --from 2025-01-02 --to 2025-01-31 \
  --base-url "http://127.0.0.1:$port" --data-dir "$work/data" --json 2>&1 >"$work/summary.json" | grep -E '^wall'
python3 - "$work/summary.json" <<'PY' 2>/dev/null || cat "$work/summary.json"
import json, sys
s = json.load(open(sys.argv[1]))
days = [d for f in s['feeds'] for d in f['day_results']]  # the summary nests day results per feed
print(f"days {s['days']}, rows {s['rows']}, soi's own clock {s['seconds']:.2f} s, "
      f"fetch {sum(d['fetch_seconds'] for d in days):.2f} s, "
      f"commit {sum(d['commit_seconds'] for d in days):.2f} s")
PY

echo
echo "== end to end: one simulated trading day of every feed (SPY, VIX, options within +/-1%, news) into"
echo "   Parquet and the consolidated DuckDB database (soi backfill --source all --from 2025-01-17)"
MASSIVE_API_KEY=bench-key-0000 /usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KiB" \
  "$SOI" --config config backfill --source all --from 2025-01-17 \
  --base-url "http://127.0.0.1:$port" --data-dir "$work/all" --json 2>&1 >"$work/all.json" | grep -E '^wall'
python3 - "$work/all.json" "$work/all" <<'PY' 2>/dev/null || cat "$work/all.json"
import json, sys, glob
s = json.load(open(sys.argv[1]))
for f in s['feeds']:
    d = f['day_results']
    print(f"{f['feed']:<18} rows {f['rows']:>8}  fetch {sum(x['fetch_seconds'] for x in d):6.2f} s  "
          f"commit {sum(x['commit_seconds'] for x in d):6.2f} s")
print(f"http requests {s['http_requests']}, soi's own clock {s['seconds']:.2f} s")
PY
"$SOI" query --database "$work/all/processed/consolidated/market.duckdb" \
  "SELECT count(*) AS option_contracts FROM option_contracts"

echo
echo "== end to end: soi stream --once of one simulated session (2025-01-17) against soi simulate --speed 0"
echo "   (SPY, VIX, options, news; at speed 0 the feed reaches the close before the options universe is known"
echo "   after the open, so the options day comes from the REST gap repair: gap-repaired bars)"
stop_simulator  # the backfill simulator (and its work dir); the stream needs speed 0 and a start
work=$(mktemp -d)
start_simulator "$SOI" "$work" --speed 0 --start 2025-01-17T09:29:30-05:00
port=$SIM_PORT
MASSIVE_API_KEY=bench-key-0000 SOI_SETTINGS_STREAM_CLOCK=server SOI_SETTINGS_STREAM_CLOSE_GRACE_SECONDS=2 \
  /usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KiB" \
  "$SOI" --config config stream --once --base-url "http://127.0.0.1:$port" --ws-base-url "ws://127.0.0.1:$port" \
  --data-dir "$work/stream" --json 2>&1 >"$work/stream.json" | grep -E '^wall'
python3 - "$work/stream.json" <<'PY' 2>/dev/null || cat "$work/stream.json"
import json, sys
s = json.load(open(sys.argv[1]))
rows = ", ".join(f"{f['feed']} {f['rows']}" for f in s['feeds'])
print(f"status {s['status']}, streamed events {s['events']}, gap-repaired bars {s['gap_bars']} "
      f"(gaps {s['gaps']}), rows {rows}, contracts {s['contracts']}, connections {s['connections']}, "
      f"spilled batches {s['spilled_batches']}, soi's own clock {s['seconds']:.2f} s")
PY
