# `make test` and `make demo` work on a fresh clone: they create .venv when missing and install
# the package with its dev extra into it first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo docs bench install clean  # bench: not part of `make test`

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Two pytest workers (pytest-xdist), one test file each at a time (module fixtures run once):
# about half the time of one process on a 2-core machine. WORKERS=1 runs in one process, WORKERS=4 on more cores.
WORKERS ?= 2

test: $(STAMP)
	$(PY) -m pytest -q $(if $(filter 1,$(WORKERS)),,-n $(WORKERS) --dist loadfile)

demo: $(STAMP)
	$(VENV)/bin/kerasrecipes demo

# The documentation site, built into site/ (tests/test_docs.py builds it with --strict in `make test` too).
# `$(VENV)/bin/mkdocs serve` serves it with live reload.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build site *.egg-info
