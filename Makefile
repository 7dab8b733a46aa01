# kgthread: `make demo` serves a sample factory, `make test` runs every check.
# Both set everything up first, from a fresh clone on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.kgthread-installed
DATA ?= data
SCALE ?= 50000
SEED ?= 1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test setup system-deps lint typecheck imports pytest bench mutate repeat clean

demo: setup
	@mkdir -p $(DATA)/sample
	@test -f $(DATA)/sample/factory-$(SCALE)-$(SEED).nt || \
		$(BIN)/kgthread sample --scale $(SCALE) --seed $(SEED) --out $(DATA)/sample/factory-$(SCALE)-$(SEED).nt
	$(BIN)/kgthread --data $(DATA)/store load $(DATA)/sample/factory-$(SCALE)-$(SEED).nt
	$(BIN)/kgthread --data $(DATA)/store serve --host $(HOST) --port $(PORT)

test: setup lint typecheck imports pytest

setup: system-deps $(STAMP) $(NODE_STAMP)

# node-opcua (package.json, pinned in package-lock.json): the second OPC UA implementation the
# interoperability tests run against; cytoscape and @zazuko/yasgui, the explorer's graph view
# and SPARQL editor, served from node_modules. Without npm those tests skip and say why.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the node-opcua interoperability test will be skipped"; fi

# From Debian, when missing: a Java runtime for HermiT (the OWL reasoner the ontology tests
# run through owlready2), Node.js with npm for the node-opcua test server (and cytoscape, the
# explorer's graph view), and chromium for the explorer's browser tests (Playwright).
# virtuoso-opensource for the Virtuoso backend tests: they start their own instance, so the
# package's service is stopped and disabled right after it is installed.
system-deps:
	@missing=""; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v virtuoso-t >/dev/null 2>&1 || missing="$$missing virtuoso-opensource"; \
	if [ -n "$$missing" ]; then \
		echo "installing from Debian:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		case "$$missing" in *virtuoso*) \
			$(SUDO) service virtuoso-opensource-7 stop >/dev/null 2>&1; \
			$(SUDO) update-rc.d virtuoso-opensource-7 disable >/dev/null 2>&1; \
			$(SUDO) systemctl disable virtuoso-opensource-7 >/dev/null 2>&1; true;; \
		esac; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

lint:
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools

typecheck:
	$(BIN)/mypy src

imports:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python bench/run.py

# Mutation testing of the modules that decide correctness (docs/testing.md), one module at a
# time at low priority: `make mutate MODULE=ids`; without MODULE, every target in turn. CPU
# heavy and not part of `make test`.
MODULE ?=
mutate: setup
	$(BIN)/python tools/mutate.py $(MODULE)

# The timing-sensitive tests, 20 runs in a row (pytest-repeat): `make repeat COUNT=20`.
COUNT ?= 20
REPEATED := tests/test_cli.py::test_second_process_on_one_store_gets_a_clear_error \
	tests/api/test_limits.py tests/crash/test_kill.py
repeat: setup
	$(BIN)/pytest -q -x -p no:cacheprovider --count $(COUNT) $(REPEATED)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
