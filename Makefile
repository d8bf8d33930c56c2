# Dateline: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SHARED ?= ../shared/data

.PHONY: install run test lint format seeds clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## ingest the bundled sample articles into warehouse/dateline.duckdb, then write the data-quality
## report (also after a failed run: that is when it matters); exits with the run's status
run: $(STAMP)
	@rc=0; $(BIN)/dateline run --input seeds/articles || rc=$$?; \
	$(BIN)/dateline report || exit $$?; exit $$rc

## the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## rebuild seeds/reference/*.csv from the Phoenix/CAMEO/PLOVER files in $(SHARED)
seeds: $(STAMP)
	DATELINE_SHARED_DATA=$(SHARED) $(BIN)/python seeds/build_reference.py

clean:
	rm -rf $(VENV) warehouse/dateline.duckdb warehouse/dateline.duckdb.wal .pytest_cache .ruff_cache
