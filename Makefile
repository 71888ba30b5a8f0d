# The two commands of the README: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HOTLINE_DATA_DIR ?= $(CURDIR)/var
# The settings refuse to start without a secret key: `make run` makes a random one once, readable by
# its owner only, and every command of the recipe reads it from the file.
SECRET_KEY_FILE ?= $(HOTLINE_DATA_DIR)/secret_key

.PHONY: run test venv install demo browser libmagic lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python libmagic
	$(BIN)/pip install --quiet -e '.[test,server]'
	touch $@

install: $(VENV)/.installed

# Create everything, build the demo district once, train triage on its closed orders, and serve it
# on http://127.0.0.1:8000 with one background worker (triage of new orders, retraining, the
# assessment's nightly aggregates).
$(SECRET_KEY_FILE):
	@mkdir -p "$(dir $@)"
	@(umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' >"$@")

run: export SECRET_KEY_FILE := $(SECRET_KEY_FILE)
run: install $(SECRET_KEY_FILE)
	$(BIN)/hotline migrate --verbosity 0
	$(BIN)/hotline demo --if-empty
	@test -f "$(HOTLINE_DATA_DIR)/models/category.joblib" || $(BIN)/hotline triage retrain >/dev/null 2>&1 || true
	@$(BIN)/hotline db_worker --no-startup-delay >"$(HOTLINE_DATA_DIR)/worker.log" 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/hotline runserver 127.0.0.1:8000 --insecure

# The whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
test: install browser
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -n 2 --dist loadfile

# Debian's Chromium and CJK fonts for the browser tests (skipped with a reason when absent).
browser:
	@if ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
		|| echo "chromium could not be installed: browser tests will be skipped"; \
	fi

# libmagic, which python-magic uses to tell an upload's type by its content (Debian: libmagic1).
libmagic:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1' && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmagic1 >/dev/null) \
		|| echo "libmagic1 could not be installed: uploads cannot be checked"; \
	fi

lint: install
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) var test-artifacts
