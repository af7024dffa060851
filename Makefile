# The README's two commands: `make run` (set up, build, run the quickstart experiment) and
# `make test` (set up, build, run every test suite). Both install missing Debian packages.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all setup configure build run test bench clean

all: build

setup:
	@scripts/setup.sh

configure: setup
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/ktune run examples/quickstart/experiment.yaml --db $(BUILD)/quickstart/ktune.db --replace

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 300

bench: build
	$(BUILD)/bin/controller_overhead_bench

clean:
	rm -rf $(BUILD)
