# The README's quick start: `make demo` runs the demo site, `make test` runs the test suite.
# Each creates .venv with Python 3.11 and installs what it needs on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# apt-get needs root: as root, directly; otherwise through sudo only when it needs no password.
SUDO := $(shell [ "$$(id -u)" = 0 ] || { sudo -n true 2>/dev/null && echo sudo; } || echo none)

.PHONY: demo test lint docs messages fuzz bench tox browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'pip>=25.1'   # dependency groups (PEP 735)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e . --group test --group lint
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# Branch coverage of django_ekyc, subprocesses included; under 95 % fails.
test: $(STAMP) browser
	$(BIN)/pytest --cov --cov-report=term

# The browser tests drive Debian's Chromium and the translation test compiles catalogues with gettext; nothing
# is downloaded but Debian packages. Without root (and no password-less sudo) nothing is installed: those tests
# are skipped with a message saying why (CI, which runs as root, requires them).
browser:
	@missing=""; [ -x /usr/bin/chromium ] || missing=" chromium"; command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
	  if [ "$(SUDO)" = none ]; then echo "Not root: not installing$$missing; the tests that need it are skipped."; \
	  else echo "Installing$$missing for the browser and translation tests"; \
	    $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy django_ekyc tests example_project scripts bench
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings

# The documentation site, strictly: a broken link or reference fails the build.
docs: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --group docs
	$(BIN)/python scripts/settings_reference.py
	$(BIN)/mkdocs build --strict --site-dir site

# Extract the translatable strings into the catalogues, then compile them (translate what makemessages added).
messages: $(STAMP)
	cd django_ekyc && DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=.. ../$(BIN)/python -P -m django makemessages \
	  -l zh_Hans -l zh_Hant -l id -l ms -l th -l vi --no-obsolete --ignore 'simulator/*' --ignore 'migrations/*'
	cd django_ekyc && DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=.. ../$(BIN)/python -P -m django compilemessages

# schemathesis against the OpenAPI schema on a live server: no server error allowed.
fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz.py

# Each benchmark prints its figures (bench/README.md records the latest); PostgreSQL on 127.0.0.1 is needed.
bench: $(STAMP)
	$(BIN)/python bench/start_throughput.py
	$(BIN)/python bench/start_overhead.py
	$(BIN)/python bench/picture_check_overhead.py
	$(BIN)/python bench/connections.py
	$(BIN)/python bench/admin_list.py
	$(BIN)/python bench/limiter.py
	$(BIN)/python bench/sync_day.py
	$(BIN)/python bench/sync_user_wait.py

tox: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check tox
	$(BIN)/tox

clean:
	rm -rf $(VENV) .tox .demo site
