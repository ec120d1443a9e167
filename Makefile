# Leadgate: `make run` to try it, `make test` to check it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: audit run test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime dependencies only: what `make run` needs.
$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable .
	touch $@

# Runtime plus test, lint and benchmark tools.
$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable ".[dev]"
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/leadgate migrate --noinput
	$(BIN)/leadgate demo --if-empty --today
	$(BIN)/leadgate serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run.py

# Known vulnerabilities of the installed (pinned) dependencies. pip-audit asks
# PyPI's JSON API (or OSV with `-s osv`); where neither is reachable it cannot
# audit and says so for each package (see README, "Dependencies").
audit: $(VENV)/.dev-installed
	$(BIN)/pip install --quiet "pip-audit==2.10.1"
	$(BIN)/pip-audit --strict --skip-editable

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/mypy leadgate
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
