#!/usr/bin/env bash
# make demo: start the built-in simulator on a free loopback port, backfill every
# feed (SPY and VIX per-second bars, SPY options within +/-1% of the open, news)
# for the last 3 simulated trading days into ./data, then stream the last of
# those days again over WebSocket at full speed (a simulator whose clock starts
# 30 s before that day's open), print per-feed counts and a line of the
# consolidated per-second view, stop the simulators.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/simulator_lib.sh
SOI=${SOI:-build/release/src/soi}

start_simulator "$SOI" "$(mktemp -d)"
echo "demo: simulator listening on http://127.0.0.1:$SIM_PORT (synthetic market, config/simulator.yaml)"

# The simulator accepts any key; a fixed demo key keeps a real one out of it.
MASSIVE_API_KEY=simulator-demo-key POLYGON_API_KEY= \
  "$SOI" --config config backfill --source all --last 3 --base-url "http://127.0.0.1:$SIM_PORT" --data-dir ./data

DB=data/processed/consolidated/market.duckdb
stop_simulator

# The streamed day replaces the backfilled one: same rows (streaming carries no
# transactions count; `soi run` backfills each streamed day after the close).
START=$("$SOI" query --json --database "$DB" "SET TimeZone='UTC';
  SELECT strftime(max(open_ts) - INTERVAL 30 SECOND, '%Y-%m-%dT%H:%M:%SZ') AS start FROM sessions" |
  sed -E 's/.*"start":"([^"]*)".*/\1/')
start_simulator "$SOI" "$(mktemp -d)" --speed 0 --start "$START"
echo
echo "demo: streaming the session of $START over ws://127.0.0.1:$SIM_PORT (simulated clock, full speed)"
MASSIVE_API_KEY=simulator-demo-key POLYGON_API_KEY= SOI_SETTINGS_STREAM_CLOCK=server \
  SOI_SETTINGS_STREAM_CLOSE_GRACE_SECONDS=2 \
  "$SOI" --config config stream --once --base-url "http://127.0.0.1:$SIM_PORT" \
  --ws-base-url "ws://127.0.0.1:$SIM_PORT" --data-dir ./data
echo
echo "demo: rows per feed in the consolidated database ($DB):"
"$SOI" query --database "$DB" "
  SELECT 'spy' AS feed, count(*) AS rows, count(DISTINCT date) AS days FROM spy_bars
  UNION ALL SELECT 'vix', count(*), count(DISTINCT date) FROM vix_bars
  UNION ALL SELECT 'options', count(*), count(DISTINCT date) FROM option_bars
  UNION ALL SELECT 'options_contracts', count(*), count(DISTINCT date) FROM option_contracts
  UNION ALL SELECT 'news', count(*), count(DISTINCT date) FROM news"

echo
echo "demo: one second of the consolidated view market_seconds (10:00:00 New York, last day):"
"$SOI" query --database "$DB" "
  SELECT ts, spy_close, spy_volume, vix, calls_traded, call_volume, puts_traded, put_volume,
         news_count, round(news_sentiment, 2) AS news_sentiment
  FROM market_seconds
  WHERE date = (SELECT max(date) FROM sessions)
    AND strftime(ts AT TIME ZONE 'America/New_York', '%H:%M:%S') = '10:00:00'"
