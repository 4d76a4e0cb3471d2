# botwarden: `make demo` shows the vault end to end, `make test` runs every check.
# Both create .venv and install the hash-pinned lock on a machine with only Python 3.11+ and git.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements/dev.lock pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: venv demo test lint typecheck security pytest bench lock clean

venv: $(STAMP)

$(STAMP): requirements/dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "botwarden needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: venv
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

test: lint typecheck security pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

security: venv
	$(BIN)/bandit -q -c pyproject.toml -r botwarden

pytest: venv
	$(BIN)/pytest

bench: venv
	$(BIN)/python bench/vault.py

# Re-lock after editing requirements/*.in (needs the package index).
lock:
	$(PYTHON) -m venv /tmp/botwarden-lock && /tmp/botwarden-lock/bin/pip install --quiet pip-tools
	cd requirements && /tmp/botwarden-lock/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o main.lock main.in
	cd requirements && /tmp/botwarden-lock/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o dev.lock dev.in

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
