# One entry point for people and CI. `make synth` installs everything and synthesizes env=dev
# offline; `make test` installs everything and runs every check.
SHELL := /bin/bash
VENV := .venv
CHECKOV_VENV := .venv-checkov
PYTHON ?= python3
ENV ?= dev
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
STAMP := .make/installed

.PHONY: install synth test test-fast lint format arm64-check lock bench bench-code bench-protocols bench-traces bench-memory bench-scale bench-dev-loop clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt requirements-checkov.txt agent/requirements.txt constructs/pyproject.toml package.json package-lock.json scripts/install-qemu.sh
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	# QEMU user-mode emulation for the arm64 tests; where it cannot be installed they skip.
	./scripts/install-qemu.sh || echo "install-qemu: the arm64_emulated tests will skip"
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p .make && touch $@

synth: install
	cdk synth -c env=$(ENV) --quiet
	@echo "Synthesized env=$(ENV) into cdk.out/"

lint: install
	ruff check .
	ruff format --check .
	mypy --config-file constructs/pyproject.toml constructs/src

format: install
	ruff check --fix .
	ruff format .

test: install lint
	pytest

# The developer loop: everything but the emulated-arm64 runs (minutes each).
test-fast: install
	pytest -m "not arm64_emulated"

arm64-check: install
	pytest -m slow -o addopts="" tests/agent/test_arm64_wheels.py

lock: install
	python scripts/lock_agent_requirements.py

bench: install
	python benchmarks/agent_server.py

bench-code: install
	python benchmarks/code_artifact.py

bench-protocols: install
	python benchmarks/protocols.py

bench-traces: install
	python benchmarks/traces.py

bench-memory: install
	python benchmarks/memory.py

bench-scale: install
	python benchmarks/scale.py $(ARGS)

# `python app.py` for dev against an empty CDK app; ARGS=--pytest adds the pytest wall time.
bench-dev-loop: install
	python benchmarks/dev_loop.py $(ARGS)

clean:
	rm -rf cdk.out .make
