# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
# The browser tests and the screenshots drive Debian's Chromium (Playwright never downloads one here).
CHROMIUM := /usr/bin/chromium

.PHONY: demo manage serve bench test test-fast screenshots venv chromium clean

# `make demo PORT=8300 SHOP_PORT=8301` runs it on other ports (both are checked before anything starts).
PORT ?= 8000
SHOP_PORT ?= 8001
demo: $(STAMP)
	$(PY) manage.py demo --port $(PORT) --shop-port $(SHOP_PORT)

# Any manage.py command with the project's own Python (the venv): `make manage ARGS="storemode sync"`.
manage: $(STAMP)
	$(PY) manage.py $(ARGS)

# The production profile: gunicorn (+ whitenoise) and the worker cluster, on DATABASE_URL and REDIS_URL, after
# `check --deploy` passes (README, "Production"). SERVE_BIND and WEB_WORKERS change where and how many.
SERVE_BIND ?= 127.0.0.1:8000
WEB_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
serve: $(STAMP)
	$(PY) manage.py serve --bind $(SERVE_BIND) --web-workers $(WEB_WORKERS)

# docs/PERFORMANCE.md and docs/performance.svg from one run (about 13 minutes; needs PostgreSQL and Redis).
# BENCH_ARGS="--wait-for-quiet 30" waits for a quiet machine first; --chaos and --batches add those sections.
# Celery, the peer it is measured against, goes into the venv from bench/requirements.txt, never the app's.
BENCH_STAMP := $(VENV)/.bench-$(shell cksum < bench/requirements.txt | cut -d' ' -f1)
bench: $(STAMP) $(BENCH_STAMP)
	$(PY) -m bench.report $(BENCH_ARGS)

$(BENCH_STAMP): bench/requirements.txt $(STAMP)
	$(PY) -m pip install --quiet -r bench/requirements.txt
	rm -f $(VENV)/.bench-*
	touch $@

# The suite runs in TEST_WORKERS processes (pytest-xdist): most of its slow tests wait on retries and workers,
# not on the CPU, so three processes on 2 cores overlap those waits (four contend for the CPU).
# Each process has its own test databases, shop simulator, SMTP server, worker cluster and scale-out Redis DB.
# TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 3
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS)

# `make test NO_BROWSER=1` runs everything but the browser tests, and needs no Chromium.
ifdef NO_BROWSER
test: $(STAMP)
	$(PYTEST) -m "not browser" $(PYTEST_ARGS)
else
test: $(STAMP) chromium
	$(PYTEST) $(PYTEST_ARGS)
endif

# All but the cluster, browser and scale-out tests (the scale-out test is a cluster test): no worker cluster,
# no Chromium, no PostgreSQL or Redis needed.
test-fast: $(STAMP)
	$(PYTEST) -m "not cluster and not browser" $(PYTEST_ARGS)

# A PNG of every page, taken from a real stack (web, shop simulator, worker cluster) on free ports.
screenshots: $(STAMP) chromium
	$(PY) -m tests.browser.screenshots

venv: $(STAMP)

# Re-installs whenever requirements.txt changes (the stamp carries its checksum).
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

# Installs Debian's chromium (and npm, for axe-core) when missing and we may (root); otherwise says what to do.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else \
	    echo "The browser tests need Debian's Chromium at $(CHROMIUM). Install it as root:" >&2; \
	    echo "    apt-get update && apt-get install -y chromium" >&2; \
	    echo "or run all other tests: make test NO_BROWSER=1" >&2; \
	    exit 1; \
	  fi; \
	fi
	@# npm fetches axe-core (pinned in tests/browser/axe.py) for the browser tests' accessibility checks.
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's npm for the accessibility checks (axe-core)"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm; \
	  else \
	    echo "The browser tests need npm to fetch axe-core. Install it as root: apt-get install -y npm" >&2; \
	    exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) var
