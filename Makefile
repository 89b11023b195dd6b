# tfx-ledger: `make run` runs the pipeline on the bundled data, `make test` runs the test suite.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

HOME_DIR ?= .ledger

.PHONY: venv run test compile bench reliability reliability-ci lint clean clean-home

$(STAMP): requirements.lock setup.py scripts/bootstrap.sh scripts/find_python.sh
	VENV=$(VENV) scripts/bootstrap.sh

venv: $(STAMP)

run: $(STAMP)
	@$(VENV)/bin/ledger run

test: $(STAMP)
	scripts/install_test_deps.sh
	$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

compile: $(STAMP)
	$(VENV)/bin/ledger compile

bench: run
	$(PY) -m benchmarks.run_all

reliability: $(STAMP)
	$(PY) -m benchmarks.reliability --full $(PYTEST_ARGS)

reliability-ci: $(STAMP)
	$(PY) -m benchmarks.reliability $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/uv pip install --python $(PY) -q ruff && $(VENV)/bin/ruff check .

# Build leftovers only: the ledger home (registry, governance log, captures) is never touched.
clean:
	rm -rf build *.egg-info

# The default ledger home, after saying what goes with it ($LEDGER_HOME elsewhere is not touched).
clean-home:
	@echo "removing $(HOME_DIR)/: the MLMD store (model registry, governance log, lineage),"
	@echo "pipeline outputs, pushed models, prediction captures and run logs"
	rm -rf $(HOME_DIR)
