# Every target creates the virtual environment it needs and installs what it needs:
# a fresh machine needs nothing else than Python 3.10+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Separately installed distributions, each type-checked in its own mypy run.
PLUGINS := plugins/livelike-keyring plugins/livelike-sql
DISTRIBUTIONS := $(PLUGINS) examples/livelike-plugin-example
PACKAGING := pyproject.toml $(addsuffix /pyproject.toml,$(PLUGINS))
# The editable install of the three distributions, then the PEP 735 "dev" group
# (pip >= 25.1 reads [dependency-groups] from ./pyproject.toml).
INSTALL := -e . -e plugins/livelike-keyring -e 'plugins/livelike-sql[postgresql]' --group dev
# The other interpreters `make pytest-versions` runs the suite on: pyenv's newest
# patch release of each, else pythonX.Y on PATH.
PYTHON_VERSIONS ?= 3.10 3.13
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null)
find_python = $(or $(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/$(1).*/bin/python$(1)))),python$(1))

.PHONY: demo test lint typecheck pytest pytest-versions dist clean

$(STAMP): $(PACKAGING)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	$(BIN)/python -m pip install --quiet $(INSTALL)
	touch $(STAMP)

# .venv-3.10, .venv-3.13...: the same installation on another interpreter.
.venv-%/.installed: $(PACKAGING)
	$(call find_python,$*) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade 'pip>=25.1'
	.venv-$*/bin/python -m pip install --quiet $(INSTALL)
	touch $@

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

# pytest only (lint and types run once, on the default interpreter).
pytest-versions: $(foreach v,$(PYTHON_VERSIONS),.venv-$(v)/.installed)
	for v in $(PYTHON_VERSIONS); do \
		echo "== pytest on Python $$v"; .venv-$$v/bin/python -m pytest -q -p no:cacheprovider || exit 1; \
	done

test: lint typecheck pytest

# Wheels and sdists of the three published distributions in dist/, checked by twine.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	for dist in $(PLUGINS); do $(BIN)/python -m build --outdir dist $$dist || exit 1; done
	$(BIN)/python -m twine check --strict dist/*

clean:
	rm -rf $(VENV) .venv-* build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
