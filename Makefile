# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEVSTACK := $(BIN)/python -m ukbot.devstack

.PHONY: setup run test lint format migrations messages bench-eventbus bench-requests bench-notifications loadtest clean

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,devstack]'
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

run: setup
	$(DEVSTACK) run

# mypy reads [tool.mypy] in pyproject.toml and needs no servers; its cache (.mypy_cache/) makes reruns quick.
lint: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(DEVSTACK) exec -- $(BIN)/python -m pytest $(PYTEST_ARGS)

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations: setup
	$(DEVSTACK) exec -- $(BIN)/python manage.py makemigrations

# Needs GNU gettext (xgettext, msgfmt): extract every marked string into locale/, then compile after translating.
messages: setup
	$(DEVSTACK) exec -- $(BIN)/python manage.py makemessages -l ru -l uz -l en --no-location \
		--ignore='.venv/*' --ignore='var/*' --ignore='bench/*' --ignore='*/tests/*' --ignore='tests/*'
	$(DEVSTACK) exec -- $(BIN)/python manage.py compilemessages --locale ru --locale uz --locale en --ignore='.venv/*'

bench-eventbus: setup
	$(DEVSTACK) exec -- $(BIN)/python bench/eventbus.py

# BENCH_EVENTS (5000), BENCH_RATE (25 events/s: Telegram's cap is 30 messages/s), BENCH_CONCURRENCY (4).
bench-notifications: setup
	$(DEVSTACK) exec -- $(BIN)/python bench/notifications.py

# BENCH_ARGS, e.g. BENCH_ARGS='--seconds 60 --concurrency 8': see bench/requests_api.py --help.
bench-requests: setup
	$(DEVSTACK) exec -- $(BIN)/python bench/requests_api.py $(BENCH_ARGS)

# LOADTEST_SECONDS (60), LOADTEST_USERS (30): residents, executors and dispatchers over the API (loadtest/run.py).
loadtest: setup
	$(DEVSTACK) exec -- $(BIN)/python loadtest/run.py

clean:
	rm -rf $(VENV) var
