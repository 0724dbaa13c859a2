# SmartHealth Hanoi: `make run` serves the seeded demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
DEMO_PEOPLE ?= 20000
DEMO_SEED ?= 1

.PHONY: install run test test-sqlite test-postgres lint messages bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

BHXH_SIM_PORT ?= 8088

# The BHXH simulator runs beside the platform so that the demo works offline.
run: install
	$(BIN)/smarthealth migrate
	$(BIN)/smarthealth seed --people $(DEMO_PEOPLE) --seed $(DEMO_SEED) --if-empty
	$(BIN)/smarthealth analytics extract --quiet
	$(BIN)/smarthealth surveillance run --method ears_c2
	$(BIN)/smarthealth bhxh-sim --port $(BHXH_SIM_PORT) --preload & sim=$$!; \
	  trap 'kill $$sim 2>/dev/null' EXIT INT TERM; \
	  SMARTHEALTH_BHXH_BASE_URL=http://127.0.0.1:$(BHXH_SIM_PORT) $(BIN)/smarthealth serve

lint: install
	$(BIN)/ruff check src tests bench

test: install lint test-sqlite test-postgres

test-sqlite: install
	SMARTHEALTH_DATABASE_URL= $(BIN)/pytest

test-postgres: install
	SMARTHEALTH_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

messages: install
	$(BIN)/pybabel extract -F babel.cfg -o src/smarthealth/web/locale/messages.pot src/smarthealth
	$(BIN)/pybabel update -i src/smarthealth/web/locale/messages.pot -d src/smarthealth/web/locale

bench: install
	$(BIN)/python bench/seed.py

clean:
	rm -rf $(VENV) var .pytest_cache
