# StoreChat: `make run` to try it, `make test` to test it, `make check` to lint it,
# `make bench` to measure it.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
# pytest processes for `make test` (pytest-xdist): one per core by default.
TEST_WORKERS ?= auto
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test check bench clean axe theme-check

install: $(STAMP)

# Re-install only when the dependencies change.
$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: install
	$(BIN)/storechat db upgrade
	$(BIN)/storechat serve --port $(PORT)

test: install axe theme-check
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# axe-core, pinned in tests/browser/node/package-lock.json, for the accessibility checks of
# the browser tests; re-installed only when the lock changes. Without npm those tests skip
# (and fail under STORECHAT_REQUIRE_SERVICES=1, as in CI).
AXE_DIR := tests/browser/node
# npm ci writes this record of what it installed last: newer than the lock means done,
# also after .ci/run's own `npm ci`.
AXE := $(AXE_DIR)/node_modules/.package-lock.json

axe:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(AXE); \
	else echo "npm not found: the accessibility checks (axe-core) will skip"; fi

$(AXE): $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	npm ci --prefix $(AXE_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

# Shopify's theme-check, pinned in tests/theme/node/package-lock.json, for the theme app
# extension's blocks (tests/widget/test_theme_extension.py); skips without npm, like axe.
THEME_DIR := tests/theme/node
THEME_CHECK := $(THEME_DIR)/node_modules/.package-lock.json

theme-check:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(THEME_CHECK); \
	else echo "npm not found: Shopify's theme-check will skip"; fi

$(THEME_CHECK): $(THEME_DIR)/package.json $(THEME_DIR)/package-lock.json
	npm ci --prefix $(THEME_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

# Lint and types: ruff over the tree, mypy (strict on plugin/domain and adapters; setup.cfg).
check: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache tests/artifacts bench/results $(AXE_DIR)/node_modules
