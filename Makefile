# rzk — common tasks. `make test` is what CI runs (see .ci/run).

CARGO ?= cargo
# The compat tests start JVMs, whose startup is CPU-bound: on a 2-core
# machine 3 tests at a time finishes soonest (1: 16 s, 2: 12.5 s, 3: 11.5 s,
# 4: 13.5 s for the harness tests).
COMPAT_THREADS ?= 3

.PHONY: all build run test compat bench lint golden miri clean

all: build

build:
	$(CARGO) build --release

# Serves with zoo.cfg.sample (dataDir=./data).
run:
	mkdir -p data
	$(CARGO) run --release -- server zoo.cfg.sample

# Installs the test dependencies (Java, ZooKeeper 3.8.0 and 3.9.5, kazoo),
# runs the unit tests (the workspace's default members), then the compat tests.
test:
	scripts/setup-test-deps.sh
	$(CARGO) test
	$(MAKE) compat

# The compat tests run the release rzk binary against the Java servers.
compat:
	$(CARGO) build --release --bin rzk
	RZK_BIN="$(CURDIR)/target/release/rzk" \
		$(CARGO) test -p rzk-compat-tests -- --test-threads=$(COMPAT_THREADS)

# Java ZooKeeper 3.9.5 and rzk side by side (README "Benchmarks"): the same
# scenarios against both, alternating, then the million-znode scale figures;
# prints each figure for both with the ratio rzk/Java. About 15 minutes; not
# part of `make test` (the compat tests run it once in a tiny configuration).
# Options go through BENCH_ARGS, e.g. BENCH_ARGS="--only read,write --duration 5".
BENCH_DIR ?= $(CURDIR)/target/bench
BENCH_ARGS ?=
bench:
	scripts/setup-test-deps.sh
	$(CARGO) run --release --quiet --bin rzk -- bench suite --work-dir "$(BENCH_DIR)" $(BENCH_ARGS)

# Regenerates the jute golden files from the Java 3.9.5 jute classes; run it
# after changing the schema or the samples (jute/tests/support), then review
# the diff. The compat tests check that the files are still Java's output.
GOLDEN_DIR := target/jute-golden
JUTE_JAR = $${RZK_CACHE:-$$HOME/.cache/rzk}/jars/zookeeper-jute-3.9.5.jar
golden:
	scripts/setup-test-deps.sh
	mkdir -p $(GOLDEN_DIR)
	javac -d $(GOLDEN_DIR) -cp "$(JUTE_JAR)" compat-tests/java/jute-golden/JuteGolden.java
	$(CARGO) run -q -p jute --example jute-samples records > $(GOLDEN_DIR)/records.in
	$(CARGO) run -q -p jute --example jute-samples strings > $(GOLDEN_DIR)/strings.in
	java -cp "$(GOLDEN_DIR):$(JUTE_JAR)" JuteGolden encode $(GOLDEN_DIR)/records.in > jute/tests/golden/records.txt
	java -cp "$(GOLDEN_DIR):$(JUTE_JAR)" JuteGolden strings $(GOLDEN_DIR)/strings.in \
		| paste $(GOLDEN_DIR)/strings.in - > jute/tests/golden/strings.txt

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The tree's unsafe code (tree/thin.rs) under Miri: needs a nightly
# toolchain with the miri component (rustup +nightly component add miri).
miri:
	PROPTEST_CASES=64 MIRIFLAGS=-Zmiri-disable-isolation \
		$(CARGO) +nightly miri test -p rzk --lib tree::thin

clean:
	$(CARGO) clean
