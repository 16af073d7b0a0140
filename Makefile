# Two commands: `make run` (the main job) and `make test` (the whole suite).
# Both create .venv and install what they need on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/cartrial serve --host 127.0.0.1 --port 8000

# Debian packages the browser and PostgreSQL tests need (root on CI and dev machines).
system-deps:
	@bash scripts/system-deps.sh

test: $(STAMP) system-deps lint
	$(VENV)/bin/mypy src/cartrial
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts

bench: $(STAMP)
	for f in bench/*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
