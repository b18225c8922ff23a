# PetroStream: the two commands are `make demo` and `make test`; both set everything up.
SHELL := /bin/bash
BOOT_PYTHON ?= python3
PY := .venv/bin/python

.PHONY: help setup setup-project setup-all up deploy demo test test-unit lint typecheck format bench status down build validate plan-aws clean query

help:
	@echo "make demo      set up, start LocalStack, apply infra/, run records through the chain"
	@echo "make test      set up and run the whole test suite (unit + integration)"
	@echo "make up        start LocalStack (Docker if available, else host) and apply infra/"
	@echo "make down      stop LocalStack and every process it started"
	@echo "make status    how LocalStack runs and what is deployed"
	@echo "make query     list named queries; make query Q=anomalies_per_hour runs one on the local lake"
	@echo "make lint      ruff (format check and lint) and mypy; make format fixes what ruff can"
	@echo "make bench     run the benchmarks (B=\"handler queries\" for some); report in .state/bench/"
	@echo "make validate  terraform fmt -check and validate, offline"
	@echo "make plan-aws  terraform plan for AWS without an account (dummy credentials)"

setup:
	@$(BOOT_PYTHON) -m services.setup_envs

# Only the project's virtualenv: enough to build the Lambda zips and plan or apply for AWS.
setup-project:
	@$(BOOT_PYTHON) -m services.setup_envs project

# Everything, host-mode LocalStack included even where Docker answers: the tests and benchmarks
# exercise host mode too (so they need Node.js and npm).
setup-all:
	@$(BOOT_PYTHON) -m services.setup_envs all

up: setup
	@$(PY) -m petrostream up

deploy: setup
	@$(PY) -m petrostream deploy

demo: setup
	@$(PY) -m petrostream demo

test: setup-all
	@$(PY) -m pytest $(PYTEST_ARGS)

test-unit: setup
	@$(PY) -m pytest tests/unit $(PYTEST_ARGS)

# The checks CI runs before the tests (.ci/run); pre-commit runs the same ones on each commit.
lint: setup
	@$(PY) -m ruff format --check .
	@$(PY) -m ruff check .
	@$(MAKE) --no-print-directory typecheck

typecheck: setup
	@$(PY) -m mypy --strict pipeline
	@$(PY) -m mypy pipeline producer petrostream services bench
	@for function in lambda/*/; do MYPYPATH="$$function" $(PY) -m mypy "$$function"*.py || exit 1; done

format: setup
	@$(PY) -m ruff format .
	@$(PY) -m ruff check --fix .

bench: setup-all
	@$(PY) -m bench $(B)

query: setup
	@$(PY) -m petrostream query $(if $(Q),"$(Q)",)

status: setup
	@$(PY) -m petrostream status

down:
	@if [ -x $(PY) ]; then $(PY) -m petrostream down; else echo "nothing set up, nothing to stop"; fi

build: setup-project
	@$(PY) -m petrostream build

validate: setup-project
	@$(PY) -m services.infra_check validate

plan-aws: setup-project build
	@$(PY) -m services.infra_check plan-aws

clean: down
	rm -rf .venv .venvs .state build
