# loglake developer commands. `make demo` and `make test` are the quick start.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8050
DEMO_DATA ?= demo-data
DEMO_SIZE ?= 200MB
# the demo's PostgreSQL log: pgBadger's fixture when ../shared/data is there, else ours
PG_DEMO_LOG ?= ../shared/data/postgres/pgbadger/light.postgres.log.bz2
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install test test-deps lint format bench demo clean

install: $(VENV)/.installed

MONGODB_C := $(wildcard src/loglake/formats/mongodb/*.[ch])
$(VENV)/.installed: pyproject.toml setup.py $(MONGODB_C)  # the C extension is built by the install
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# System packages the tests need, installed by apt only when missing: Debian's Chromium for
# the browser tests (Playwright drives /usr/bin/chromium; its own browser download is not
# used), and a PostgreSQL server with pgBadger for the PostgreSQL tests (each test starts a
# throwaway cluster of its own on a loopback port, run as a non-root user).
PG_BIN := /usr/lib/postgresql/15/bin
APT_PACKAGES := $(if $(wildcard /usr/bin/chromium),,chromium chromium-driver) \
	$(if $(wildcard $(PG_BIN)/postgres),,postgresql postgresql-contrib) \
	$(if $(wildcard /usr/share/postgresql/15/extension/hypopg.control),,postgresql-15-hypopg) \
	$(if $(wildcard /usr/bin/pgbadger),,pgbadger)

test-deps: install
	@if [ -n "$(strip $(APT_PACKAGES))" ]; then \
		echo "installing Debian packages for the tests: $(strip $(APT_PACKAGES))"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); \
	fi

test: install test-deps
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python bench/run.py

demo: install
	@mkdir -p $(DEMO_DATA)
	@test -f $(DEMO_DATA)/mongod.log || $(BIN)/python -m loglake.generate --size $(DEMO_SIZE) \
		--seed 7 --tz +00:00,+02:00 -o $(DEMO_DATA)/mongod.log
	@test -f $(DEMO_DATA)/app/truth.json || $(BIN)/loglake generate app --seed 7 -o $(DEMO_DATA)/app
	@test -f $(DEMO_DATA)/chat/truth.json || $(BIN)/loglake generate interactions --seed 7 \
		-o $(DEMO_DATA)/chat
	@test -f $(DEMO_DATA)/postgresql.log || { if [ -f $(PG_DEMO_LOG) ]; then bzcat $(PG_DEMO_LOG); \
		else cat tests/data/postgres/pg15-live.log; fi; } > $(DEMO_DATA)/postgresql.log
	$(BIN)/loglake ingest $(DEMO_DATA)/mongod.log $(DEMO_DATA)/postgresql.log $(DEMO_DATA)/app \
		$(DEMO_DATA)/chat/chat --out $(DEMO_DATA)/lake
	$(BIN)/loglake summaries --data $(DEMO_DATA)/lake
	$(BIN)/loglake report --data $(DEMO_DATA)/lake --out $(DEMO_DATA)/report.html
	$(BIN)/loglake serve --data $(DEMO_DATA)/lake --port $(PORT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis $(DEMO_DATA) bench/out
