# One entry point for dev tasks. `make demo` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
# Use uv from PATH when present; otherwise bootstrap it into .tools/ with the system pip.
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export SPARK_LOCAL_IP := 127.0.0.1
DEMO_DIR ?= demo-out
PYTEST_ARGS ?=

.PHONY: demo serve test bench lint install install-spark clean

$(TOOLS)/bin/uv:
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv

$(BIN)/iprisk: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PY) --all-extras
	@touch $@

install: $(BIN)/iprisk

demo: install
	$(BIN)/iprisk demo --out $(DEMO_DIR)

# The demo's results in the dashboard (runs the demo first when its folder has no analysis yet).
serve: install
	@test -f $(DEMO_DIR)/analysis/summary.md || $(BIN)/iprisk demo --out $(DEMO_DIR)
	$(BIN)/iprisk demo-serve --out $(DEMO_DIR)

test: install
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) $(TOOLS) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
