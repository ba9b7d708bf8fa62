# Tandem — the two commands: `make run` and `make test`.
PYTHON ?= $(shell scripts/find-python)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
# Compile the translation catalogs (compilemessages fails when there are none yet).
MESSAGES = if find tandem -type d -name locale | grep -q .; then \
	  $(BIN)/python manage.py compilemessages --ignore=.venv -v 0; fi

.PHONY: run test install lint e2e test-postgres bench clean messages

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "No Python >= 3.12 found"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements/lock.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/lock.txt
	@touch $(STAMP)

install: $(STAMP)

## Serve the demo on http://127.0.0.1:$(PORT) with SQLite, a task worker and demo data.
run: install
	@$(MESSAGES)
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py content_load --quiet
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py serve --port $(PORT)

## Run the whole test suite on SQLite (real-browser tests run when Chromium exists).
test: install
	@$(MESSAGES)
	TANDEM_PYTHON=$(BIN)/python scripts/pytest -q -n 2 --dist loadfile

## Only the real-browser tests; they fail (rather than skip) without /usr/bin/chromium.
e2e: install
	TANDEM_E2E_REQUIRED=1 TANDEM_PYTHON=$(BIN)/python scripts/pytest -q -n 2 --dist loadfile -m e2e

## The suite (without browser tests) on PostgreSQL; pytest-django creates and drops
## test_<name>_gw0, test_<name>_gw1 next to DATABASE_URL's database.
test-postgres: install
	@$(MESSAGES)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tandem} \
	  TANDEM_PYTHON=$(BIN)/python scripts/pytest -q -n 2 --dist loadfile --create-db -m "not e2e"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r tandem

## Refresh the fi and sv catalogs in tandem/locale (LOCALE_PATHS) from every app's templates
## (.html, .txt) and Python, then compile them. Run from the repository root; an app-level
## locale/ directory would capture that app's strings, so the target refuses to run with one.
messages: install
	@stray="$$(find tandem -mindepth 2 -type d -name locale)"; if [ -n "$$stray" ]; then \
	  echo "App-level locale directories found; the catalogs live in tandem/locale:" >&2; \
	  echo "$$stray" >&2; exit 1; fi
	$(BIN)/python manage.py makemessages -l fi -l sv --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=bench -e html,txt,py
	$(BIN)/python manage.py compilemessages --ignore=.venv

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var/*.sqlite3*
