# StoreChat: `make run` to try it, `make test` to test it, `make check` to lint it,
# `make bench` to measure it.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test check bench clean

install: $(STAMP)

# Re-install only when the dependencies change.
$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: install
	$(BIN)/storechat db upgrade
	$(BIN)/storechat serve --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint and types: ruff over the tree, mypy (strict on plugin/domain and adapters; setup.cfg).
check: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache tests/artifacts bench/results
