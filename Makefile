# tfx-ledger: `make run` runs the pipeline on the bundled data, `make test` runs the test suite.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv run test compile bench reliability reliability-ci lint clean

$(STAMP): requirements.lock setup.py scripts/bootstrap.sh scripts/find_python.sh
	VENV=$(VENV) scripts/bootstrap.sh

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/ledger run

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

clean:
	rm -rf .ledger build *.egg-info
