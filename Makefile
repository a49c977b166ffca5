# `make run` and `make test` work on a fresh clone: each creates .venv and installs what it needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test eval lint install install-dev ingest serve clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "citeline needs Python 3.11 ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Exit status 3 means "done, but some files were skipped" (reported above): keep going.
ingest: install
	$(BIN)/citeline ingest || [ $$? -eq 3 ]

serve: install
	$(BIN)/citeline serve

run: ingest serve

eval: install
	$(BIN)/citeline eval

test: install-dev
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .citeline .pytest_cache
