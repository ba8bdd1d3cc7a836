# Two commands do everything: `make run` (platform on embedded defaults) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The test suite runs against PostgreSQL and Redis on localhost, on TEST_PROCESSES pytest-xdist processes: the fault
# tests spend most of their time waiting out production timings, so more processes than cores pay. Each process has
# its own test database (a _gw<n> suffix) and Redis database (TEST_BROKER_URL's number + n: 12 to 15 here).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dermplatform
TEST_BROKER_URL ?= redis://127.0.0.1:6379/12
TEST_PROCESSES ?= 4
FAST_TEST_PROCESSES ?= 2

.PHONY: install run web worker beat test test-fast lint migrate demo services bench bench-load clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

# With DATABASE_OWNER_URL (PostgreSQL, two roles): migrate as the owner, then set DATABASE_URL's role's rights.
migrate: install
	$(PY) manage.py $(if $(DATABASE_OWNER_URL),db_roles --migrate,migrate --noinput)

demo: migrate
	$(PY) manage.py seed_demo

# Web server, Celery worker and the scheduler together; Ctrl-C stops them.
run: demo
	scripts/run-platform.sh

worker: install
	$(VENV)/bin/celery -A dermplatform worker -Q default,inference --concurrency 1 --loglevel info

# The one scheduler of a deployment (the sweep of lost tasks): never run two.
beat: install
	$(VENV)/bin/celery -A dermplatform beat --schedule var/celerybeat-schedule --loglevel info

test: install
	scripts/ensure-services.sh
	@# pytest exits 5 when it collects no tests: not a failure of the code.
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(PY) -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS); \
	  rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc

# The loop while working: everything but the fault tests (integration: real workers, outages, kills) and the
# browser tests (e2e); `make test` stays the whole suite, as CI runs it.
test-fast: install
	scripts/ensure-services.sh
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(PY) -m pytest -n $(FAST_TEST_PROCESSES) -m "not integration and not e2e" \
	  $(PYTEST_ARGS)

# Ruff (configured in pyproject.toml): pyflakes everywhere, security (S) and bug-risk (B) rules outside tests.
lint: install
	$(VENV)/bin/ruff check .

# Benchmarks with the real parts: a scratch PostgreSQL database and Redis, a real worker for the latency bench.
BENCH_DATABASE ?= dermplatform_bench
bench: install
	scripts/ensure-services.sh
	psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = '$(BENCH_DATABASE)'" | grep -q 1 \
	  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE $(BENCH_DATABASE)"
	DJANGO_DEBUG=0 DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DATABASE) CELERY_BROKER_URL=redis://127.0.0.1:6379/9 $(PY) -m bench

# Load: gunicorn on loopback under locust (sign-in burst, limit off and on; 50 users browsing and uploading for 60 s, three
# 48-megapixel uploads at once); a few minutes, on the same scratch database. BENCH_LOAD_PHASES=1: the burst only.
bench-load: install
	$(VENV)/bin/pip install --quiet -e '.[bench]'
	scripts/ensure-services.sh
	psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = '$(BENCH_DATABASE)'" | grep -q 1 \
	  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE $(BENCH_DATABASE)"
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DATABASE) CELERY_BROKER_URL=redis://127.0.0.1:6379/9 $(PY) -m bench.load.site

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
