# Two entry points, both self-contained on a fresh machine (Python >= 3.11 and Node):
#   make run   - set up, then serve a ready demo session on the embedded PostgreSQL
#   make test  - set up, then lint (with the import contracts), type-check and run the whole
#                test suite (Python and Node)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
NPM_STAMP := node_modules/.installed-stamp

.PHONY: run test setup browser lint typecheck pytest nodetest bench clean

setup: $(STAMP) $(NPM_STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's Chromium (a test tool's own browser download does not work
# here). Installed when missing and possible; otherwise those tests skip with a reason.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	    || echo "chromium could not be installed: browser tests will be skipped"; }

run: setup
	$(VENV)/bin/ballot demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup browser
	# Exit code 5 means "no test selected", which is not a failure of the suite.
	$(VENV)/bin/pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

nodetest: setup
	node --test tests/js/

test: lint typecheck pytest nodetest

bench: setup
	$(VENV)/bin/ballot bench store

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
