#!/usr/bin/env bash
# Idempotent machine setup for spy-options-intelligence (Debian 12, run as root).
# Installs only what is missing, then fetches DuckDB 1.4.4 (C API) from the npm
# registry into third_party/duckdb/, verified by SHA-256. A second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config time ca-certificates tzdata
  libcurl4-openssl-dev libboost-dev libboost-system-dev libssl-dev
  libsimdjson-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libhowardhinnant-date-dev libpq-dev zlib1g-dev postgresql-15
  clickhouse-server clickhouse-client
  swift-proxy swift-account swift-container swift-object
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev  # the fuzz preset (libFuzzer, make fuzz)
  nodejs npm
)

missing=()
for p in "${PACKAGES[@]}"; do
  # npm may come with a non-Debian node; accept any working npm.
  if [[ $p == nodejs || $p == npm ]] && command -v npm >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # No service may start during the install (clickhouse-server's would listen on
  # 8123/9000): invoke-rc.d asks policy-rc.d, and 101 means "not allowed".
  own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if ((own_policy)); then rm -f /usr/sbin/policy-rc.d; fi
fi

# The tests start their own clickhouse-server on 127.0.0.1 ports as nobody
# (tests/support/clickhouse_server.hpp): the system service stays disabled and stopped.
if systemctl is-enabled --quiet clickhouse-server 2>/dev/null; then
  echo "setup: disabling the system ClickHouse service"
  systemctl disable --quiet clickhouse-server 2>/dev/null || true
fi
if [[ -d /run/systemd/system ]] && systemctl is-active --quiet clickhouse-server 2>/dev/null; then
  systemctl stop clickhouse-server 2>/dev/null || true
fi

# The Swift packages enable system services that, once /etc/swift holds rings, listen on every
# address. The tests start their own Swift on 127.0.0.1 (tests/support/swift_server.hpp), so the
# system ones stay disabled, and stopped where systemd runs. Nothing to do on a second run.
swift_units=$(systemctl list-unit-files 'swift-*' --no-legend 2>/dev/null | awk '$2 == "enabled" {print $1}')
if [[ -n $swift_units ]]; then
  echo "setup: disabling the system Swift services"
  # shellcheck disable=SC2086  # one unit name a word
  systemctl disable --quiet $swift_units 2>/dev/null || true
  # shellcheck disable=SC2086
  if [[ -d /run/systemd/system ]]; then systemctl stop $swift_units 2>/dev/null || true; fi
fi

# --- DuckDB 1.4.4 C API ---------------------------------------------------
DUCK_DIR=third_party/duckdb
DUCK_STAMP="$DUCK_DIR/.version"
DUCK_VERSION="1.4.4 (node-bindings-linux-x64 1.4.4-r.4)"
LIB_PKG="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
LIB_TGZ="duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz"
LIB_SHA256="732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b"
HDR_PKG="duckdb@1.4.4"
HDR_TGZ="duckdb-1.4.4.tgz"
HDR_SHA256="5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed"

if [[ -f $DUCK_STAMP && "$(cat "$DUCK_STAMP")" == "$DUCK_VERSION" && -f $DUCK_DIR/lib/libduckdb.so && -f $DUCK_DIR/include/duckdb.h ]]; then
  :
else
  echo "setup: fetching DuckDB $DUCK_VERSION with npm pack"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$LIB_PKG" "$HDR_PKG" >/dev/null)
  printf '%s  %s\n%s  %s\n' "$LIB_SHA256" "$LIB_TGZ" "$HDR_SHA256" "$HDR_TGZ" > "$tmp/SHA256SUMS"
  (cd "$tmp" && sha256sum --quiet -c SHA256SUMS) || { echo "setup: DuckDB checksum mismatch" >&2; exit 1; }
  rm -rf "$DUCK_DIR"
  mkdir -p "$DUCK_DIR/lib" "$DUCK_DIR/include"
  tar -xzf "$tmp/$LIB_TGZ" -C "$tmp" package/libduckdb.so
  mv "$tmp/package/libduckdb.so" "$DUCK_DIR/lib/"
  tar -xzf "$tmp/$HDR_TGZ" -C "$tmp" package/src/duckdb/src/include/duckdb.h
  mv "$tmp/package/src/duckdb/src/include/duckdb.h" "$DUCK_DIR/include/"
  echo "$DUCK_VERSION" > "$DUCK_STAMP"
fi
echo "setup: ok"
