# The two Quickstart commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup lint format bench clean

# The install log is shown only when the install fails (setuptools is chatty about the
# package-data folders).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@echo "installing posthog-escalation and its dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install --upgrade pip > $(VENV)/install.log 2>&1 \
		&& $(BIN)/python -m pip install -e '.[dev]' >> $(VENV)/install.log 2>&1 \
		|| (cat $(VENV)/install.log; exit 1)
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/posthog-escalation demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest
	$(BIN)/posthog-escalation eval --drafter offline --data-dir $(CURDIR)/.data/ci

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .data runs .pytest_cache .ruff_cache
