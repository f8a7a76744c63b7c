#!/usr/bin/env bash
# make demo: start the built-in simulator on a free loopback port, backfill SPY
# per-second bars and VIX for the last 3 simulated trading days into ./data, print a
# summary and an example query, stop the simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/simulator_lib.sh
SOI=${SOI:-build/release/src/soi}

start_simulator "$SOI" "$(mktemp -d)"
echo "demo: simulator listening on http://127.0.0.1:$SIM_PORT (synthetic market, config/simulator.yaml)"

# The simulator accepts any key; a fixed demo key keeps a real one out of it.
MASSIVE_API_KEY=simulator-demo-key POLYGON_API_KEY= \
  "$SOI" --config config backfill --source all --last 3 --base-url "http://127.0.0.1:$SIM_PORT" --data-dir ./data

echo
echo "demo: example query (soi query runs SQL on the embedded DuckDB):"
"$SOI" query "SELECT date, count(*) AS bars, round(min(low), 2) AS low, round(max(high), 2) AS high,
                     sum(volume)::BIGINT AS volume
              FROM read_parquet('data/raw/spy/*/*.parquet', hive_partitioning = true)
              GROUP BY date ORDER BY date"
