# The two commands users need: `make demo` and `make test`. Everything else is a helper.
.PHONY: setup build build-asan demo test unit bench fuzz clean
SHELL := /bin/bash

setup:
	@bash scripts/setup.sh

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j2

build-asan: setup
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j2

demo: build
	@bash scripts/demo.sh

test: build build-asan
	@ctest --preset release
	@ctest --preset asan

bench: build
	@bash bench/run_benchmarks.sh

# Every libFuzzer target for FUZZ_SECONDS (default 60) each: docs/reliability.md.
fuzz: setup
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} bash scripts/run_fuzz.sh

clean:
	rm -rf build
