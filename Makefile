# The verbs CI and people use. Every target creates .venv when missing.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install services lint test test-fast demo bench schedule clean

$(PY):
	python3 -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check pipelines tests bench
	$(VENV)/bin/ruff format --check pipelines tests bench

# The services the tests run for real (PostgreSQL, MariaDB, Chromium), installed when missing.
services:
	./scripts/install-test-services

test: services lint
	$(VENV)/bin/pytest -n 2 -q

# Everything but the tests that need the Prefect server (its start-up alone takes ~30 s).
test-fast: services
	$(VENV)/bin/pytest -n 2 -q -m "not prefect"

demo: $(STAMP)
	$(VENV)/bin/usage-warehouse demo

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) warehouse/raw warehouse/parquet warehouse/reports warehouse/.reports warehouse/usage.duckdb* bench/out

schedule: $(STAMP)
	$(VENV)/bin/usage-warehouse schedule
