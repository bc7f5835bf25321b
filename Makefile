# casevault: `make run` starts the demo, `make test` checks everything. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PGVER   = $(shell ls /etc/postgresql 2>/dev/null | head -n 1)

.PHONY: setup run test lint unit pg browser bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# PostgreSQL on 127.0.0.1:5432 (trust auth) is part of every test run; start it when it is down.
pg:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "starting PostgreSQL $(PGVER)"; \
	  pg_ctlcluster --skip-systemctl-redirect $(PGVER) main start; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@pg_isready -h 127.0.0.1 -p 5432

# The console's browser tests drive Debian's Chromium, headless (Playwright's own browser
# download cannot be used); install it when it is missing.
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@echo "browser tests use $$(command -v chromium)"

run: setup
	$(BIN)/casevault demo

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

unit: setup pg browser
	rm -rf test-artifacts/logs
	$(BIN)/pytest -m "not slow" -n 2 --dist loadfile
	@echo "leak-scanning the logs the test suite wrote (rule: no personal data in logs)"
	$(BIN)/casevault scan --no-edm test-artifacts/logs/*.log

test: lint unit

bench: setup pg
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
