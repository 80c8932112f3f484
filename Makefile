# fairpool: `make run` (the main job on bundled data) and `make test` (ruff + pytest).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch lies on the machine's disk; installing it first keeps pip from
# pulling a multi-GB CUDA build to satisfy the project's `torch` requirement.
TORCH_VERSION ?= 2.13.0

# Two install stamps: `make run` needs fairpool's runtime dependencies only; `make test`,
# `lint` and `bench` add the dev extras (pytest, ruff, import-linter, polars, ray).
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
# --no-compile: Python compiles the modules a run imports when it first imports them;
# compiling every installed module up front would add ~350 MB and a minute of install.
PIP := $(BIN)/pip install --quiet --no-compile

.PHONY: run test test-labelstudio bench lint clean

$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) "torch==$(TORCH_VERSION)"
	$(PIP) -e .
	touch $@

$(DEV): $(RUNTIME)
	$(PIP) -e ".[dev]"
	touch $@

run: $(RUNTIME)
	$(BIN)/fairpool run
	@echo
	@echo "fairpool is installed in $(VENV). Run its command as $(BIN)/fairpool, e.g."
	@echo "    $(BIN)/fairpool results"
	@echo "or put it on your PATH for this shell first:"
	@echo "    source $(BIN)/activate && fairpool --help"

test: $(DEV)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 -q --durations=15

# `fairpool session sync` against a real Label Studio server on localhost: the server lives
# in its own venv (.venv-labelstudio, ~800 MB, about 3 minutes to make once), so it is not
# part of `make test`; .ci/run runs it after `make test`.
test-labelstudio: $(DEV)
	$(BIN)/python benchmarks/labelstudio_server.py install
	$(BIN)/pytest -q -m slow -p no:xdist tests/sessions/test_labelstudio_server.py

lint: $(DEV)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/lint-imports

# Long reproductions and speed tables (hours on 2 cores); each script prints its table and
# writes its results under results/ (docs/ holds the figures measured so far).
bench: $(DEV)
	$(BIN)/pytest -q -m slow -p no:xdist
	$(BIN)/python benchmarks/metrics.py --out results/metrics
	$(BIN)/python benchmarks/sessions.py --out results/sessions/sessions_bench.json
	$(BIN)/python benchmarks/ot_distance.py --out results/ot_distance
	$(BIN)/python benchmarks/newton_steps.py --out results/newton_steps
	$(BIN)/python benchmarks/selection_scale.py --out results/selection_scale
	$(BIN)/python benchmarks/fal_agreement.py --out results/fal_agreement
	$(BIN)/python benchmarks/fair_reduction_compas.py --seeds 5 --out results/fair_reduction
	$(BIN)/python benchmarks/genomes1000_signature.py --seeds 10 --out results/genomes1000_signature
	$(BIN)/python benchmarks/strategies_adult.py --out results/strategies_adult
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/panda_training.py --seconds 840 --threads 1 --out results/speed_panda
	$(BIN)/python benchmarks/reproduce_panda_baselines.py --out results/panda_baselines
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/reproduce_panda.py --seeds 5 --max-episodes 300 --train-seconds 1200 --threads 1 --baselines-from results/panda_baselines --out results/panda
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/reproduce_panda.py --seeds 2 --representation --max-episodes 300 --threads 1 --out results/panda_repr
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/reproduce_panda.py --seeds 0 --rho-sweep 0.04 0.1 0.2 --max-episodes 300 --threads 1 --policy-dir results/panda --out results/panda_rho
	$(BIN)/python benchmarks/reproduce_falcon.py --out results/falcon_reproduction
	$(BIN)/python benchmarks/reproduce_facagen.py --out results/facagen
	@echo "each run wrote results/<run>/; to quote one on the pages: benchmarks/doc_figures.py record <run> --source results/<run> --command ..., then doc_figures.py write"

clean:
	rm -rf $(VENV) .venv-labelstudio build *.egg-info src/*.egg-info .pytest_cache results
