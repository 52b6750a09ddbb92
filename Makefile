# The two Quickstart commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The labeled real reports (test data beside the repository, never committed). When they
# are here, `make test` also runs the accuracy suite on their holdout split and fails when
# a figure drops below its floor (set a few points under what the suite reaches).
REPORTS ?= $(firstword $(wildcard ../shared/corpora/posthog-issues/issues.jsonl /work/shared/corpora/posthog-issues/issues.jsonl))
ACCURACY_FLOORS := --floor route=0.84 --floor repo=0.74 --floor gate=0.97 \
	--floor not_a_bug_recall=0.3 --floor bugs_called_not_a_bug=0.05

.PHONY: demo test setup lint format bench accuracy clean

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
	@$(MAKE) --no-print-directory accuracy

accuracy: $(STAMP)
	@if [ -n "$(REPORTS)" ]; then \
		$(BIN)/posthog-escalation eval --dataset $(REPORTS) --split holdout \
			--data-dir $(CURDIR)/.data/ci $(ACCURACY_FLOORS); \
	else \
		echo "accuracy suite skipped: no labeled reports at ../shared/corpora/posthog-issues"; \
	fi

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
