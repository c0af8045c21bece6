# Every target creates .venv and installs what it needs: a fresh machine needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Separately installed distributions, each type-checked in its own mypy run.
PLUGINS := plugins/livelike-keyring plugins/livelike-sql
DISTRIBUTIONS := $(PLUGINS) examples/livelike-plugin-example

.PHONY: demo test lint typecheck pytest clean

$(STAMP): setup.cfg pyproject.toml $(addsuffix /setup.cfg,$(PLUGINS))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' -e plugins/livelike-keyring \
		-e 'plugins/livelike-sql[postgresql]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy
	for dist in $(DISTRIBUTIONS); do $(BIN)/mypy $$dist || exit 1; done

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
