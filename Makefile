# fairpool: `make run` (the main job on bundled data) and `make test` (ruff + pytest).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch lies on the machine's disk; installing it first keeps pip from
# pulling a multi-GB CUDA build to satisfy the project's `torch` requirement.
TORCH_VERSION ?= 2.13.0

.PHONY: run test bench lint clean

$(BIN)/fairpool: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "torch==$(TORCH_VERSION)"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

run: $(BIN)/fairpool
	$(BIN)/fairpool run

test: $(BIN)/fairpool
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest -n 2 -q

lint: $(BIN)/fairpool
	$(BIN)/ruff check src tests benchmarks

bench: $(BIN)/fairpool
	$(BIN)/pytest -q -m slow -p no:randomly
	$(BIN)/python benchmarks/metrics.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache results
