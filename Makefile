# The two commands of the README: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.cxray-installed

.PHONY: demo test lint bench clean

SPARK_STAMP := $(VENV)/.cxray-spark-installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The tests also check that the Spark engine gives the same diagnosis (PySpark runs on Java 17+).
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $(SPARK_STAMP)

demo: $(STAMP)
	$(BIN)/cxray demo --out demo-out

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: $(SPARK_STAMP) lint
	$(BIN)/python -m pytest -n 2 --doctest-modules --ignore=src/cxray/__main__.py src tests

bench: $(STAMP)
	$(BIN)/python bench/bench_diagnose.py --events 1000000:csv --sim 100000,1000000,10000000 --only pm4py,diagnose

clean:
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache .mypy_cache
