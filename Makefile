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

.PHONY: install test test-deps lint format bench demo screenshots clean

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

# the README's pictures: the browser tests save every page they check to LOGLAKE_SCREENSHOTS;
# these five are copied into docs/screenshots/ (not part of `make test`)
SHOT_DIR := test-artifacts/readme-shots
SHOT_TESTS := "tests/test_ui.py::test_every_page_loads_clean_and_draws_its_charts[/dashboard]" \
	"tests/test_ui.py::test_every_page_loads_clean_and_draws_its_charts[/slow-queries]" \
	"tests/test_ui_logs.py::test_the_page_loads_clean_with_its_histogram" \
	"tests/test_ui_interactions.py::test_the_overview_shows_plain_numbers_and_its_trend" \
	"tests/test_ui_pg_advisor.py::test_bottlenecks_then_a_simulation_and_an_answer"
SHOTS := dashboard slow-queries logs interactions pg-bottlenecks

screenshots: install test-deps
	rm -rf $(SHOT_DIR)
	LOGLAKE_SCREENSHOTS=$(CURDIR)/$(SHOT_DIR) $(BIN)/python -m pytest -q -p no:cacheprovider $(SHOT_TESTS)
	mkdir -p docs/screenshots
	for name in $(SHOTS); do cp $(SHOT_DIR)/$$name.png docs/screenshots/$$name.png; done

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
	@# the live PostgreSQL advisor: a throwaway server with the seeded bottlenecks, one snapshot
	@$(BIN)/python bench/pg_advisor.py --demo-lake $(DEMO_DATA)/lake || \
		echo "PostgreSQL could not be started: the live advisor's demo snapshot is skipped"
	$(BIN)/loglake summaries --data $(DEMO_DATA)/lake
	$(BIN)/loglake report --data $(DEMO_DATA)/lake --out $(DEMO_DATA)/report.html
	$(BIN)/loglake serve --data $(DEMO_DATA)/lake --port $(PORT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis $(DEMO_DATA) bench/out
