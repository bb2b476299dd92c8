# The README's quick start: `make demo` runs the demo site, `make test` runs the test suite.
# Each creates .venv with Python 3.11 and installs what it needs on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint fuzz bench tox browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# Branch coverage of django_ekyc, subprocesses included; under 95 % fails.
test: $(STAMP) browser
	$(BIN)/pytest --cov --cov-report=term

# The browser tests drive Debian's Chromium; no browser is downloaded.
browser:
	@[ -x /usr/bin/chromium ] || { echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy django_ekyc tests example_project scripts bench
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings

# schemathesis against the OpenAPI schema on a live server: no server error allowed.
fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz.py

# Each benchmark prints its figures (bench/README.md records the latest); PostgreSQL on 127.0.0.1 is needed.
bench: $(STAMP)
	$(BIN)/python bench/start_throughput.py
	$(BIN)/python bench/start_overhead.py
	$(BIN)/python bench/connections.py
	$(BIN)/python bench/admin_list.py

tox: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check tox
	$(BIN)/tox

clean:
	rm -rf $(VENV) .tox .demo
