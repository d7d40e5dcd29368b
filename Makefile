# wfchain developer tasks. `make` or `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv render validate check test lint fmt bench fuzz clean docs

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(STAMP) ## Create .venv and install wfchain with its test and dev tools

render: $(STAMP) ## Render the bundled instances into rendered/
	$(BIN)/wfchain render

validate: $(STAMP) ## Validate templates and instances
	$(BIN)/wfchain validate

check: $(STAMP) ## Prove rendered/ is what a fresh render gives (drift check)
	$(BIN)/wfchain render --check

docs: $(STAMP) ## Regenerate docs/cli.md from the CLI (a test fails when it is stale)
	$(BIN)/python -m generator.clidoc --output docs/cli.md

test: $(STAMP) ## Run the whole test suite (lint, types, tests)
	$(BIN)/ruff check generator tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff, mypy and yamllint
	$(BIN)/ruff check generator tests
	$(BIN)/mypy
	$(BIN)/yamllint -s .

fmt: $(STAMP) ## Format and auto-fix
	$(BIN)/ruff check --fix generator tests

bench: $(STAMP) ## Print render/validate speed and memory figures
	$(BIN)/python benchmarks/bench.py

fuzz: $(STAMP) ## Long hypothesis fuzz run (10,000 examples)
	WFCHAIN_FUZZ_EXAMPLES=10000 $(BIN)/python -m pytest -q -m fuzz tests

clean: ## Remove the venv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
