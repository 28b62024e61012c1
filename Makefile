# chitieu: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GX_ANALYTICS_ENABLED := false
# Python caches compiled modules (.pyc) beside them; an environment that turns this off
# makes every process of the tests (a hundred) compile the project and its libraries anew.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-fast lint format ui bench clean

# --no-compile: a module is compiled when first imported, not the 9,000 of the venv at once
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-compile -e '.[dev]'
	touch $@

## run: set up, write the bundled sample to the inbox and run the refresh job on it
run: $(BIN)/.installed
	$(BIN)/chitieu demo

# Tests run on every core (pytest-xdist); `make test WORKERS=0` runs them in one process.
WORKERS ?= auto

## test: set up and run the whole test suite
test: $(BIN)/.installed
	$(BIN)/pytest -q -n $(WORKERS)

## test-fast: the tests for day-to-day work (all but those marked slow)
test-fast: $(BIN)/.installed
	$(BIN)/pytest -q -n $(WORKERS) -m "not slow"

## lint: ruff check, format check and the mypy type check
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## ui: the Dagster UI and daemon (schedule, sensor) on the project's definitions
ui: $(BIN)/.installed
	$(BIN)/chitieu ui

## bench: time every stage on FILES generated workbooks (make bench FILES=10000 for national scale)
FILES ?= 1000
bench: $(BIN)/.installed
	mkdir -p data
	$(BIN)/python -m bench.run --files $(FILES) --json data/bench-$(FILES).json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
