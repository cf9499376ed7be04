# Tolk: `make run` serves the seeds on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INDEX_DIR ?= data/index
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
# Parallel text to learn cross-links from, when it is beside the checkout (it is on our machines).
export TOLK_PARALLEL_DIR ?= $(abspath $(wildcard ../shared/data/flores200_devtest_nl_en))
# Debian packages the tests use (FreeDict for the lexicon).
TEST_DEBS := dict-freedict-nld-eng dict-freedict-eng-nld
RUN_DEBS := dict-freedict-nld-eng dict-freedict-eng-nld

.PHONY: run test install install-test debs-run debs-test index clean bench eval

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

debs-run:
	@./scripts/ensure-debs.sh $(RUN_DEBS)

debs-test:
	@./scripts/ensure-debs.sh $(TEST_DEBS)

$(INDEX_DIR)/current: | install debs-run
	$(BIN)/tolk index --index-dir $(INDEX_DIR) seeds

index: install debs-run
	$(BIN)/tolk index --index-dir $(INDEX_DIR) seeds

run: install debs-run $(INDEX_DIR)/current
	$(BIN)/tolk serve --index-dir $(INDEX_DIR) --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: install-test debs-test
	$(BIN)/python -m pytest -n 2 --dist loadgroup

eval: install debs-run
	$(BIN)/tolk eval

bench: install-test debs-run
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data test-output
