# Two entry points for people: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed
PACKAGES := orchestrator sandbox css_scoper
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install chromium redis-server lint test demo bench reliability screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The demo needs only the `serve` extra (uvicorn, starlette, watchfiles), not the test toolchain.
$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[serve]'
	touch $(DEMO_STAMP)

# Debian's Chromium drives the browser tests (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

# Debian's redis-server backs the session tests (RedisSessionStore), started per test on a free port.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q redis-server; }

# Lint, format, types and the layers of DESIGN.md §1 (import-linter contracts in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check $(PACKAGES) tests demo apps
	$(VENV)/bin/ruff format --check $(PACKAGES) tests demo apps
	$(VENV)/bin/mypy $(PACKAGES)
	$(VENV)/bin/lint-imports

test: install chromium redis-server lint
	$(VENV)/bin/pytest -q

demo: $(DEMO_STAMP)
	$(VENV)/bin/mfe demo

# bench_serving.py drives Tailor (pinned by tests/perf/serving/package-lock.json) with Debian's wrk.
bench: install
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q wrk; }
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q nodejs npm; }
	@[ tests/perf/serving/node_modules/.package-lock.json -nt tests/perf/serving/package-lock.json ] || \
		npm ci --prefix tests/perf/serving --no-audit --no-fund
	@for f in tests/perf/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# The README's pictures: `mfe dev` on a copy of the demo, shot by Chromium (docs/screenshots/).
screenshots: install chromium
	$(PY) demo/screenshots.py

reliability: install
	$(VENV)/bin/pytest -q -m slow tests/reliability

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
