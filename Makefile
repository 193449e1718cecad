# Portcullis. A new machine runs ./demo and ./check (they install make and
# the rest first, then call these targets):
#   make demo    install missing Debian packages, build, scan examples/
#   make check   build and run the whole test suite (unit, golden, corpus,
#                sanitizers, fuzzing)
# Other targets: build, asan, fuzz, bench, golden-update, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
# per libFuzzer target in make check: 30 s keeps the whole suite near 30
# minutes on 2 cores (60 s made it 35); make fuzz FUZZ_SECONDS=600 for more
FUZZ_SECONDS ?= 30
# cmake's own make must not think it is a sub-make (no "Entering directory")
CMAKE_BUILD = env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS cmake --build

.PHONY: all deps configure build asan fuzz-build demo check fuzz bench golden-update clean

all: build

deps:
	@sh scripts/deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	@$(CMAKE_BUILD) $(BUILD) -j$(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPC_SANITIZE=ON >/dev/null
	@$(CMAKE_BUILD) $(ASAN_BUILD) -j$(JOBS)

fuzz-build: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPC_FUZZ=ON -DPC_TESTS=OFF >/dev/null
	@$(CMAKE_BUILD) $(FUZZ_BUILD) -j$(JOBS)

demo: configure
	@$(CMAKE_BUILD) $(BUILD) -j$(JOBS) --target portcullis
	@sh scripts/demo.sh $(BUILD)/portcullis

check: build asan fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh scripts/check.sh $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

fuzz: fuzz-build
	@cd $(FUZZ_BUILD) && FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --output-on-failure -L fuzz

bench: build
	@bash bench/run.sh

golden-update: build
	@python3 tests/golden.py --update $(BUILD)/portcullis tests/data

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
