# The verbs CI and people use. Every target creates .venv when missing.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install services lint test test-fast demo bench schedule trigger clean

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

# Starting over: everything derived from the raw tree goes (watermarks and Prefect's state
# too: `usage-warehouse reset` says what it removed), then the bench data and .venv. The raw
# tree stays (`usage-warehouse reset --include-raw --yes` removes it too).
clean: $(STAMP)
	$(VENV)/bin/usage-warehouse reset --yes
	rm -rf $(VENV) bench/out

# The nightly schedule with Prefect's UI on http://127.0.0.1:4200 until Ctrl-C.
schedule: $(STAMP)
	$(VENV)/bin/usage-warehouse schedule

# A run now, on the running schedule (watch it in the UI).
trigger: $(STAMP)
	$(VENV)/bin/usage-warehouse trigger
