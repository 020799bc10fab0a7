# learning-market: every target installs what it needs first (tools/setup.sh, idempotent).
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
APE := $(CURDIR)/.venv/bin/ape

.PHONY: setup demo test compile clean

setup:  ## install the toolchain (Python venv, npm packages, solc adapter); quick when done
	@tools/setup.sh

demo: setup compile  ## the main job: a full simulated market round on a local anvil
	$(APE) run simulate_round $(ARGS)

test: setup  ## the whole test suite, on a fresh compile
	$(APE) compile --force
	$(APE) test $(ARGS)

compile: setup  ## compile the contracts
	$(APE) compile

clean:  ## remove build outputs (keeps the installed toolchain)
	rm -rf .build .cache .hypothesis .pytest_cache
