#!/usr/bin/env bash
# make soak: the week-long soak of `soi run` (tests/integration/week_soak_test.cpp)
# over 2024-11-25 to 2024-12-03 (Thanksgiving, the 13:00 close of the 29th)
# against `soi simulate` at high speed with faults and a kill -9, on the
# release build. `make test` runs the same test over 2024-11-27 to 2024-11-29.
# The test prints its figures on lines starting "[ soak ]"; docs/reliability.md
# quotes them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
echo "== machine"
echo "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== week soak (SOI_SOAK_SPAN=week)"
SOI_SOAK_SPAN=week /usr/bin/time -f "wall %e s, test program peak RSS %M kB" \
  "$BUILD"/tests/it_week_soak_test --gtest_color=no
