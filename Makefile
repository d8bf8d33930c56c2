# Dateline: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
SHARED ?= ../shared/data

.PHONY: install run serve test test-fast test-integration test-system bench lint format seeds clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,train]'
	@touch $(STAMP)

install: $(STAMP)

## ingest the bundled sample articles into warehouse/dateline.duckdb, then write the data-quality
## report (also after a failed run: that is when it matters); exits with the run's status
run: $(STAMP)
	@rc=0; $(BIN)/dateline run --input seeds/articles || rc=$$?; \
	$(BIN)/dateline report || exit $$?; exit $$rc

## serve the ingest deployment on a cron schedule until Ctrl-C (CRON="*/15 * * * *" INPUT=DIR to override
## dateline.toml); uses $$PREFECT_API_URL, else starts a local Prefect server and prints its UI address
serve: $(STAMP)
	$(BIN)/dateline serve $(if $(CRON),--cron "$(CRON)") $(if $(INPUT),--input "$(INPUT)")

## every tier of the test suite (what CI runs): tests/unit, tests/integration, tests/system
test: $(STAMP)
	$(BIN)/python -m pytest -q

## the unit tier only (pure code in process, under a minute): the loop to run while editing
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

## the integration tier: the flow in process, warehouse files, worker processes
test-integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

## the system tier: `dateline` subprocesses, concurrency, crash recovery, interrupts, serve, browser
test-system: $(STAMP)
	$(BIN)/python -m pytest -q tests/system

## end-to-end speed: the full `dateline run` on a copy of ../shared/data/corpus/bbc (not a test), then
## spaCy's en_core_web_sm over the same bodies and the ratio; installs the bench-only extra [bench] first
bench: $(BENCH_STAMP)
	DATELINE_SHARED_DATA=$(SHARED) $(BIN)/python -m dateline.evaluation.bench

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,train,bench]'
	@touch $(BENCH_STAMP)

## ruff, the type checker and the import contracts of [tool.importlinter] in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## rebuild seeds/reference/*.csv from the Phoenix/CAMEO/PLOVER files in $(SHARED)
seeds: $(STAMP)
	DATELINE_SHARED_DATA=$(SHARED) $(BIN)/python -m seeds.build_reference

clean:
	rm -rf $(VENV) warehouse/dateline.duckdb warehouse/dateline.duckdb.wal warehouse/dateline.snapshot.duckdb* warehouse/dateline.duckdb.lock .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
