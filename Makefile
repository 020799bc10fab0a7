# learning-market: every target installs what it needs first (tools/setup.sh, idempotent).
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
APE := $(CURDIR)/.venv/bin/ape

.PHONY: setup demo test lint compile clean slither coverage gas-benchmark cap-run

setup:  ## install the toolchain (Python venv, npm packages, solc adapter); quick when done
	@tools/setup.sh

demo: setup compile  ## the main job: a full simulated market round on a local anvil
	$(APE) run simulate_round $(ARGS)

test: setup  ## the whole test suite, on a fresh compile
	$(APE) compile --force
	$(APE) test $(ARGS)

lint: setup  ## ruff over the whole repository (rules in pyproject.toml)
	$(CURDIR)/.venv/bin/ruff check .

compile: setup  ## compile the contracts
	$(APE) compile

slither: setup  ## static analysis of contracts/ (slither.config.json); fails on any finding not triaged in docs/slither-triage.md
	$(CURDIR)/.venv/bin/slither contracts/ --config-file slither.config.json

coverage: setup  ## line, statement, function and branch coverage of contracts/ over the test suite (ARGS: pytest arguments)
	$(APE) compile --force
	PYTHONPATH=$(CURDIR) $(APE) test -p tools.coverage.plugin $(ARGS)

cap-run: setup compile  ## one task at the caps (512 contributors, a 63-member panel) on a plain anvil enforcing EIP-7825: largest gas per action (ARGS: --contributors --panel --batch)
	$(CURDIR)/.venv/bin/python -m tools.cap_run $(ARGS)

gas-benchmark: setup  ## gas per action and per contributor of whole tasks (1-200 contributors x panels of 3, 5 and 9, and the pool's register, exit and withdraw) beside each action's floor; rewrites the tables in docs/gas.md (ARGS: script options)
	$(APE) run gas_benchmark $(ARGS)

clean:  ## remove build outputs (keeps the installed toolchain)
	rm -rf .build .cache .hypothesis .pytest_cache
