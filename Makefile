# remit: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test bench load lint format soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs are stamped so that a second `make` does not reinstall.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# The demo is served as production is (gunicorn, debug off), with a secret key of its own,
# made once in var/, and mounts the sandbox gateway's tokenising endpoint (REMIT_SANDBOX=1).
# It logs for people (REMIT_LOG_FORMAT=text); production's default is JSON.
# The worker (settlement, reconciliation) runs beside the server and stops with it.
DEMO_KEY := var/demo-secret-key
$(DEMO_KEY):
	mkdir -p var
	umask 077; $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

run: export REMIT_SANDBOX = 1
run: export REMIT_LOG_FORMAT ?= text
run: export REMIT_SECRET_KEY = $(shell cat $(DEMO_KEY) 2>/dev/null)
run: $(VENV)/.installed $(DEMO_KEY)
	$(BIN)/remit demo --no-serve
	$(BIN)/remit worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; $(BIN)/remit serve

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest
	./scripts/test-postgres

# Each benchmark prints "met" or "NOT met" per target; one that misses does not stop the
# others (the leading "-"), so a run always prints every figure.
bench: $(VENV)/.installed-test
	-$(BIN)/python -m bench.run
	-$(BIN)/python -m bench.portal_open_invoices
	-$(BIN)/python -m bench.api_throughput
	-$(BIN)/python -m bench.audit_scale
	-$(BIN)/python -m bench.bank_matching

# Two `remit serve` and two `remit worker` on one PostgreSQL database (remit_load, dropped
# and created), driven over the loopback at 1, 8 and 32 clients; a fixed number of
# payments, then `remit audit` and `remit audit --gateway`. 1 to 3 minutes.
load: $(VENV)/.installed-test
	$(BIN)/python -m bench.load

# A longer Hypothesis run of the money rules and random histories, then the gateway fault
# simulator over SOAK_HISTORIES seeded histories on SQLite and on PostgreSQL (if reachable).
SOAK_HISTORIES ?= 10000
soak: $(VENV)/.installed-test
	REMIT_HYPOTHESIS_PROFILE=soak $(BIN)/pytest tests/unit tests/integration -k "hypothesis or stateful or property"
	$(BIN)/pytest tests/simulation --sim-histories $(SOAK_HISTORIES)
	REMIT_TEST_PG_PASSES=direct ./scripts/test-postgres --sim-histories $(SOAK_HISTORIES) -k simulation

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

format:
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static $(DEMO_KEY) .pytest_cache .hypothesis
