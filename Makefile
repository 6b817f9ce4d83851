# Everyday commands. `make demo` and `make test` do all set-up on a fresh machine
# that has Python 3.11+, make and git (the tests also want the Debian packages
# `postgresql` and `chromium`: .ci/run installs them when missing).

SHELL := /bin/bash
.DEFAULT_GOAL := test

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
BIN := .venv/bin
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k store -x"`.
PYTEST_ARGS ?=
# Parallel pytest workers (each starts its own PostgreSQL and Chromium);
# PYTEST_WORKERS=0 runs the tests in one process.
PYTEST_WORKERS ?= 2

export UV_PYTHON_DOWNLOADS := never

.PHONY: venv test lint format demo bench docs-cli clean

# uv itself lives in its own small venv, pinned, so no global install is needed.
$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The project's venv exactly as uv.lock says (a stale lock is an error: keep it current).
venv: $(UV)
	$(UV) sync --frozen

# Python only: ruff would also reformat the examples inside the Markdown docs.
PY_SOURCES := esperia tests $(wildcard benchmarks)

lint: venv
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

format: venv
	$(BIN)/ruff format $(PY_SOURCES)
	$(BIN)/ruff check --fix $(PY_SOURCES)

demo: venv
	$(BIN)/esperia demo

bench: venv
	$(BIN)/python benchmarks/run.py

docs-cli: venv
	$(BIN)/python -m esperia.cli.docs

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache dist
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
