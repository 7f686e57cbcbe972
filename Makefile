# Patron developer commands. Every target installs what it needs first.
# $(call python_find,VERSIONS): the first of these Python versions that runs, from the PATH or
# pyenv's versions (pyenv puts every version's shim on the PATH, but a shim of a version that is
# not selected refuses to run, so each candidate is tried, not just looked up).
python_find = $(shell for v in $(1); do \
	for p in python$$v $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v*/bin/python$$v; do \
		"$$p" -c '' >/dev/null 2>&1 && { command -v "$$p"; exit 0; }; \
	done; done)
# The newest supported Python found (3.13, then 3.12, then 3.11); override with PYTHON=...
# The virtualenv keeps the Python it was made with (`make clean` to change it); VENV=... puts
# another one beside it (`make test-python PYTHON_VERSION=3.13` does that).
SUPPORTED_PYTHONS := 3.13 3.12 3.11
PYTHON ?= $(or $(call python_find,$(SUPPORTED_PYTHONS)),python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
DATABASE_URL_PG ?= postgres://root@127.0.0.1:5432/test
STAMP := $(VENV)/.installed

# The worker command of the configured task engine (TASK_BACKEND, TASK_QUEUE; see the README),
# as the shell's positional parameters: `$(WORKER_ARGS); python manage.py "$$@"`.
WORKER_ARGS = if [ "$${TASK_BACKEND:-database}" = rq ]; then \
		set -- rqworker "$${TASK_QUEUE:-default}" --job-class django_tasks_rq.backend.Job --with-scheduler; \
	else \
		set -- db_worker --queue-name "$${TASK_QUEUE:-default}" --no-reload; \
	fi

.PHONY: install messages makemessages run serve worker scheduler test test-pg test-all install-python test-python lint format check lock migrate clean

install: $(STAMP)

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(STAMP)

# Translations (README "Languages and time zones"): the committed .po files compiled to the
# .mo files Django reads, by GNU gettext's msgfmt (package `gettext`). Without msgfmt Patron
# still runs, in English only, and says so here.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

messages: $(MO_FILES)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	@if command -v msgfmt >/dev/null 2>&1; then \
		msgfmt --check-format -o $@ $<; \
	else \
		echo "msgfmt not found (install GNU gettext): $< not compiled, Patron speaks English only."; \
	fi

# After changing or adding a user-facing message: update the .po files, then translate the new
# entries (tests/i18n fails on an untranslated or fuzzy one).
makemessages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l pt_BR -l es --add-location=file \
		--ignore='.venv*' --ignore=tests --ignore=bench --ignore=media --ignore=staticfiles \
		--ignore=artifacts

# One lock for every supported Python (--universal adds markers where versions differ).
lock: install
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 -o requirements.lock

migrate: install messages
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py createcachetable

# The development server with one task worker (admin imports, exports, invitations and
# webhook deliveries run there) and the scheduler (sweep, purges) beside it; Ctrl-C stops all.
run: migrate
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py prepare_demo
	$(WORKER_ARGS); \
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py "$$@" & worker=$$!; \
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py run_scheduler & scheduler=$$!; \
	trap 'kill $$worker $$scheduler 2>/dev/null; wait $$worker $$scheduler' EXIT INT TERM; \
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# One task worker (start as many as needed, on any machine that reaches the database, the
# file storage and, with TASK_BACKEND=rq, Redis).
worker: install
	$(WORKER_ARGS); exec $(BIN)/python manage.py "$$@"

# The scheduler: the sweep every SCHEDULER_SWEEP_SECONDS and the hourly purges (run one).
scheduler: install
	exec $(BIN)/python manage.py run_scheduler

# Production server: gunicorn gthread workers (config/gunicorn.py) with psycopg pooling.
# Needs the production environment (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL); see the README.
serve: install messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	PORT=$(PORT) DB_POOL=$${DB_POOL:-1} $(BIN)/gunicorn config.wsgi --config python:config.gunicorn

# PYTEST_ARGS=... passes arguments to pytest (files, -k, --ignore, ...).
test: install messages
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: install messages
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_PG)} $(BIN)/pytest $(PYTEST_ARGS)

test-all: test test-pg

# Another supported Python beside the main one, in its own virtualenv (.venv-3.13, ...):
# `make install-python` installs it, `make test-python` runs the SQLite suite on it.
PYTHON_VERSION ?= 3.13
OTHER_PYTHON = $(if $(filter $(PYTHON_VERSION),$(SUPPORTED_PYTHONS)),$(call python_find,$(PYTHON_VERSION)))
OTHER_MAKE = @test -n "$(OTHER_PYTHON)" || \
		{ echo "Python $(PYTHON_VERSION) not found (supported: $(SUPPORTED_PYTHONS))"; exit 1; }; \
	$(MAKE) VENV=.venv-$(PYTHON_VERSION) PYTHON="$(OTHER_PYTHON)"

install-python:
	$(OTHER_MAKE) install

test-python:
	$(OTHER_MAKE) test PYTEST_ARGS="$(PYTEST_ARGS)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=1 $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	DEBUG=0 SECRET_KEY=ci-only-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
		ALLOWED_HOSTS=patron.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .venv-3.* .pytest_cache
