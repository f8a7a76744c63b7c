# The two commands users need: `make demo` and `make test`. Everything else is a helper.
.PHONY: setup build build-soi build-asan demo test unit bench soak fuzz clean
SHELL := /bin/bash

setup:
	@bash scripts/setup.sh

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j2

# The demo runs only soi: it builds no test or benchmark.
build-soi: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j2 --target soi

build-asan: setup
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j2

demo: build-soi
	@bash scripts/demo.sh

test: build build-asan
	@ctest --preset release
	@ctest --preset asan

bench: build
	@bash bench/run_benchmarks.sh

# The week-long soak of `soi run` (a 2-day version runs in `make test`).
soak: build
	@bash bench/soak.sh

# Every libFuzzer target for FUZZ_SECONDS (default 60) each: docs/reliability.md.
fuzz: setup
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} bash scripts/run_fuzz.sh

clean:
	rm -rf build
