# loglake developer commands. `make demo` and `make test` are the quick start.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8050
DEMO_DATA ?= demo-data
DEMO_SIZE ?= 200MB
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install test test-deps lint format bench demo clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# System packages the tests need: Debian's Chromium for the browser tests (Playwright drives
# /usr/bin/chromium; its own browser download is not used). Runs apt only when it is missing.
test-deps: install
	@test -x /usr/bin/chromium || { \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	}

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
	$(BIN)/loglake ingest $(DEMO_DATA)/mongod.log --out $(DEMO_DATA)/lake
	$(BIN)/loglake summaries --data $(DEMO_DATA)/lake
	$(BIN)/loglake serve --data $(DEMO_DATA)/lake --port $(PORT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis $(DEMO_DATA) bench/out
