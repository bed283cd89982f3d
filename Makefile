# Two commands do everything: `make run` serves the shop, `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app shop
HOST ?= 127.0.0.1
PORT ?= 5000
STRIPE_PORT ?= 8420

.PHONY: run test quick assets translations install install-test db demo serve extract-messages clean

run: install assets translations db demo serve

test: install-test assets translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quick loop while developing: everything but the browser, localstripe and property-based tests.
quick: install-test assets translations
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[demo]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,demo]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Designsystemet's CSS comes from npm and is copied into static/vendor (not committed).
static/vendor/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/@digdir/designsystemet-css/dist/src/index.css static/vendor/designsystemet.css
	cp node_modules/@digdir/designsystemet-css/dist/theme/designsystemet.css static/vendor/designsystemet-theme.css
	touch $@

assets: static/vendor/.stamp

translations: | $(BIN)/python
	$(BIN)/pybabel compile -f -d shop/translations

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg --no-location -k _l -k lazy_gettext -o shop/translations/messages.pot .
	$(BIN)/pybabel update -i shop/translations/messages.pot -d shop/translations --no-fuzzy-matching

db: install
	$(FLASK) db upgrade

demo: install
	$(FLASK) seed-demo --once

serve:
	$(FLASK) run-demo --host $(HOST) --port $(PORT) --stripe-port $(STRIPE_PORT)

clean:
	rm -rf $(VENV) node_modules static/vendor instance
