# Sourced by scripts/demo.sh and bench/run_benchmarks.sh: run `soi simulate` on a
# free loopback port for the duration of the calling script.
#   start_simulator SOI_BINARY WORK_DIR [simulate flags...]   sets SIM_PORT
# The EXIT trap stops the simulator and removes WORK_DIR.
SIM_PID=""
SIM_WORK=""
stop_simulator() {
  if [[ -n $SIM_PID ]]; then kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null || true; fi
  SIM_PID=""
  [[ -n $SIM_WORK ]] && rm -rf "$SIM_WORK"
  return 0
}
start_simulator() {
  local soi=$1
  SIM_WORK=$2
  shift 2
  trap stop_simulator EXIT
  "$soi" --config config simulate --port 0 --port-file "$SIM_WORK/port" "$@" 2>"$SIM_WORK/simulator.log" &
  SIM_PID=$!
  for _ in $(seq 1 300); do [[ -s $SIM_WORK/port ]] && break; sleep 0.1; done
  if [[ ! -s $SIM_WORK/port ]]; then
    echo "the simulator did not start:" >&2
    cat "$SIM_WORK/simulator.log" >&2
    return 1
  fi
  SIM_PORT=$(cat "$SIM_WORK/port")
}
