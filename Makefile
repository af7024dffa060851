# The README's two commands: `make run` (set up, build, run the quickstart experiment) and
# `make test` (set up, build, run every test suite). Both install missing Debian packages.
#
# `make test` runs, in order: the format check (skipped with KTUNE_SKIP_FORMAT_CHECK=1), the
# build with -Werror and every suite (ctest), the ASan+UBSan build (clang, -Wthread-safety) of
# the controller, executor, webhook, metrics, store and end-to-end suites and their run, every
# fuzz target for FUZZ_SMOKE_SECONDS from its seed corpus, and the TSan build and run of the
# same suites. Each stage alone: `make check-format`, `make unit`, `make asan`, `make fuzz-smoke`,
# `make tsan`. `make fuzz` fuzzes each target for FUZZ_SECONDS; `make format` formats the tree.
BUILD ?= build
ASAN_BUILD ?= $(BUILD)-asan
TSAN_BUILD ?= $(BUILD)-tsan
JOBS  ?= $(shell nproc)
WERROR ?= ON
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_SECONDS ?= 600

.PHONY: all setup configure build run test unit check-format format asan tsan fuzz fuzz-smoke \
        bench clean

all: build

setup:
	@scripts/setup.sh

configure: setup
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) -DKTUNE_WERROR=$(WERROR) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/ktune run examples/quickstart/experiment.yaml --db $(BUILD)/quickstart/ktune.db --replace

test: check-format unit asan fuzz-smoke tsan

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 300

check-format: setup
	@if [ "$(KTUNE_SKIP_FORMAT_CHECK)" = 1 ]; then \
	  echo "check-format: skipped (KTUNE_SKIP_FORMAT_CHECK=1)"; \
	else scripts/check_format.sh; fi

format: setup
	scripts/check_format.sh --fix

asan: setup
	JOBS=$(JOBS) WERROR=$(WERROR) scripts/sanitize.sh asan $(ASAN_BUILD)

tsan: setup
	JOBS=$(JOBS) WERROR=$(WERROR) scripts/sanitize.sh tsan $(TSAN_BUILD)

# The fuzz targets live in the ASan build directory; `make asan` builds them.
fuzz-smoke: asan
	scripts/run_fuzzers.sh $(ASAN_BUILD) $(FUZZ_SMOKE_SECONDS)

fuzz: setup
	JOBS=$(JOBS) WERROR=$(WERROR) scripts/sanitize.sh asan-build $(ASAN_BUILD)
	scripts/run_fuzzers.sh $(ASAN_BUILD) $(FUZZ_SECONDS)

bench: build
	$(BUILD)/bin/controller_overhead_bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
