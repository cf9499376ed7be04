# Tolk: `make run` serves the seeds on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INDEX_DIR ?= data/index
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
# Parallel text: the links learned from FLORES ship in index/data/parallel_links.tsv, so no
# folder beside the checkout is needed (TOLK_PARALLEL_DIR=DIR learns from DIR instead);
# `make eval` finds FLORES with --flores, TOLK_PARALLEL_DIR or ../shared/data.
# Debian packages: FreeDict for the lexicon; the tests also build and run the container
# image with podman (runc, debootstrap for a local base image) and drive Debian's Chromium;
# tests/test_lucene_analysis.py runs the OpenSearch analysis settings through Lucene's own
# code (Java 17's single-file source launcher needs the JDK, not only the JRE).
RUN_DEBS := dict-freedict-nld-eng dict-freedict-eng-nld
TEST_DEBS := $(RUN_DEBS) podman podman-compose runc debootstrap chromium fonts-liberation \
	openjdk-17-jdk-headless liblucene8-java
BENCH_DEBS := $(RUN_DEBS) wdutch wamerican wrk

.PHONY: run test reliability ci install install-test install-bench debs-run debs-test \
	debs-bench index clean bench eval

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

debs-run:
	@./scripts/ensure-debs.sh $(RUN_DEBS)

debs-test:
	@./scripts/ensure-debs.sh $(TEST_DEBS)

debs-bench:
	@./scripts/ensure-debs.sh $(BENCH_DEBS)

$(INDEX_DIR)/current: | install debs-run
	$(BIN)/tolk index --index-dir $(INDEX_DIR) seeds

index: install debs-run
	$(BIN)/tolk index --index-dir $(INDEX_DIR) seeds

run: install debs-run $(INDEX_DIR)/current
	$(BIN)/tolk reindex --if-outdated --quiet --index-dir $(INDEX_DIR)
	$(BIN)/tolk serve --index-dir $(INDEX_DIR) --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: install-test debs-test
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# About 2.5 minutes: capacity, 60 s at twice that with mixed reads and writes, recovery.
reliability: install-test debs-test
	@mkdir -p test-output
	$(BIN)/python scripts/reliability/load.py --workers 3 --overload-seconds 60 \
		--out test-output/reliability.json

# What CI runs (.ci/run): every test, then the load test.
ci: test reliability

eval: install debs-run
	$(BIN)/tolk eval --benchmarks BENCHMARKS.md

bench: install-bench debs-bench
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data test-output
