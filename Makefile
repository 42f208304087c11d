# Two commands: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
MODEL   := models/current.tar.gz
HOST    ?= 127.0.0.1
RASA_PORT    ?= 5005
ACTIONS_PORT ?= 5055

# Rasa 3.6 needs Python 3.10: the first candidate that really runs 3.10 (pyenv shims may not).
PYTHON310 := $(shell for c in $$(ls -1d $$HOME/.pyenv/versions/3.10.*/bin/python3.10 2>/dev/null | sort -rV) \
	$$(command -v python3.10 2>/dev/null) /usr/bin/python3.10 /usr/local/bin/python3.10; do \
	"$$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo "$$c"; break; }; done)

# What the model is trained from: retrain only when one of these changes.
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(wildcard bot/nlu/*.py)

export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup sync validate diff stale history report train run shell test lint clean browser nginx

help:
	@echo "make run    set everything up and start the assistant (REST + Socket.IO on $(HOST):$(RASA_PORT))"
	@echo "make test   set everything up and run every test"
	@echo "make shell  chat in the terminal with the running assistant's action server"
	@echo "make validate / diff / sync / stale / history   staff commands for knowledge/*.yml (see knowledge/README.md)"
	@echo "make report this week's conversations: unanswered questions, ratings, handoffs (docs/reports.md)"

$(STAMP): pyproject.toml requirements.lock
	@if [ -z "$(PYTHON310)" ]; then \
	  echo "error: Python 3.10 is required by Rasa 3.6 and was not found."; \
	  echo "       Install it with pyenv:  pyenv install 3.10.13   (or your system's python3.10 package)"; \
	  exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON310)"
	@test -x $(BIN)/python || $(PYTHON310) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip<25" "setuptools<71" wheel
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $@

setup: $(STAMP)

# Debian's Chromium (and fonts for CJK, Arabic and emoji) for the widget's browser tests.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { \
	  echo "Installing Debian's chromium and Noto fonts for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    chromium fonts-noto-cjk fonts-noto-core fonts-noto-color-emoji >/dev/null; }

# Debian's nginx with its njs module, for the scale-out test and `beijing-assistant cluster` (deploy/).
# The tests start their own nginx on a free port; they never use the package's default site.
nginx:
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 && test -f /usr/lib/nginx/modules/ngx_http_js_module.so || { \
	  echo "Installing Debian's nginx and libnginx-mod-http-js for the scale-out test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    nginx libnginx-mod-http-js >/dev/null; }

validate: $(STAMP)
	$(BIN)/beijing-assistant validate

diff: $(STAMP)
	$(BIN)/beijing-assistant diff

# BY="Name, office" records who publishes in the audit log (default: login name @ computer).
sync: $(STAMP)
	$(BIN)/beijing-assistant sync $(if $(BY),--by "$(BY)")

stale: $(STAMP)
	$(BIN)/beijing-assistant stale $(if $(DAYS),--older-than $(DAYS))

history: $(STAMP)
	$(BIN)/beijing-assistant history

# This week's conversations: what the assistant could not answer, ratings, handoffs (docs/reports.md).
report: $(STAMP)
	$(BIN)/beijing-assistant report

$(MODEL): $(TRAIN_INPUTS) | $(STAMP)
	$(BIN)/rasa train --fixed-model-name current --out models --num-threads 2

train: $(MODEL)

run: $(STAMP) sync $(MODEL)
	$(BIN)/beijing-assistant serve --host $(HOST) --rasa-port $(RASA_PORT) --actions-port $(ACTIONS_PORT)

shell: $(MODEL)
	$(BIN)/rasa shell --model $(MODEL) --endpoints $$(test -f var/endpoints.$(RASA_PORT).yml && echo var/endpoints.$(RASA_PORT).yml || echo endpoints.yml) --port $$(( $(RASA_PORT) + 1 ))

lint: $(STAMP)
	$(BIN)/ruff check bot actions tests bench
	$(BIN)/ruff format --check bot actions tests bench
	$(BIN)/mypy

test: $(STAMP) browser nginx sync $(MODEL)
	$(BIN)/ruff check bot actions tests bench
	$(BIN)/ruff format --check bot actions tests bench
	$(BIN)/mypy
	$(BIN)/rasa data validate --fail-on-warnings
	$(BIN)/python -m pytest
	$(BIN)/rasa test core --model $(MODEL) --stories tests/test_stories.yml --fail-on-prediction-errors --out results/core

clean:
	rm -rf models results var/*.db
