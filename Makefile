# Build and test entry points for the s32s.sync collection (GNU make).
#
#   make test         venv + collpath, unit, then two lanes side by side: integration, and sanity, compat,
#                     ansible-test-units, lint, docs-lint (antsibull-docs lint), importer (Galaxy's
#                     importer), molecule; fails when any step fails. The docsite build is not part of it: make docs.
#   make venv         .venv from requirements-dev.txt, plus ansible-test's offline pip bootstrap
#   make collpath     .collections/ansible_collections/{s32s/sync -> repo, amazon/aws, community/aws}
#   make unit | integration | sanity | ansible-test-units | lint | docs-lint | importer | molecule | build
#   make docs         the docsite (antsibull-docs sphinx-init, Sphinx -W) in tests/output/docsite/build/html
#   make demo         the S32S flow end to end on an embedded moto server
#   make compat       sanity + a smoke integration on the lowest ansible-core/Python/boto3 claimed and on the
#                     newest, each in its own virtualenvs (.venv-compat-*); COMPAT_ARGS='--entry low' etc.
#   TEST_WORKERS=N    pytest-xdist workers of make integration (default 2)
#
# Never put a trailing "# comment" after a variable value: make keeps the blanks.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin
COLL := $(CURDIR)/.collections
ANSIBLE_BUNDLE ?= 12.3.0
BUNDLED_COLLECTIONS ?= amazon/aws community/aws ansible/posix
PIP_BOOTSTRAP_VERSION ?= 24.2
BUNDLE_STAMP := $(COLL)/.bundle-$(ANSIBLE_BUNDLE)-$(shell printf '%s' '$(BUNDLED_COLLECTIONS)' | cksum | cut -d' ' -f1).stamp
TEST_CACHE := $(HOME)/.ansible/test/cache
PIP_SHIM := $(TEST_CACHE)/get_pip_$(subst .,_,$(PIP_BOOTSTRAP_VERSION)).py
# ansible-test needs a real copy OUTSIDE the git work tree; one per checkout.
TMPBASE := $(or $(TMPDIR),/tmp)
AC_TMP ?= $(TMPBASE)/s32s-sync-ac-$(shell printf '%s' '$(CURDIR)' | cksum | cut -d' ' -f1)
AC_COLL := $(AC_TMP)/ansible_collections/s32s/sync
SANITY_ARGS ?= --venv --python 3.11
UNITS_ARGS ?= --local --python 3.11
PYTEST_ARGS ?=
DIST := $(CURDIR)/tests/output/dist
COLLECTION_VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(DIST)/s32s-sync-$(COLLECTION_VERSION).tar.gz

export ANSIBLE_COLLECTIONS_PATH := $(COLL)
export ANSIBLE_PYTHON_INTERPRETER := $(BIN)/python
export PATH := $(BIN):$(PATH)

.PHONY: test venv collpath unit integration stage sanity ansible-test-units lint docs-lint docs molecule build importer \
	shellcheck clean compat

# After the unit tests, two lanes run side by side: the integration suite, and the checks (sanity, the
# version matrix, ansible-test units, the linters, the importer, molecule). They share no state: every
# S3 server listens on its own free port, ansible-test and make compat work in their own copies outside
# the tree, molecule starts its own moto. Much of each lane waits (servers, subprocess start-up, pip
# downloads for the compat virtualenvs), so the two overlap well on 2 cores. --output-sync keeps each
# lane's output in one block, printed when the lane ends; each step prints its time.
STEP = start=$$(date +%s); $(MAKE) --no-print-directory $(1); echo "make test: $(1) took $$(( $$(date +%s) - start )) s"

test: venv collpath
	@$(call STEP,unit)
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-lane-integration test-lane-checks

.PHONY: test-lane-integration test-lane-checks
test-lane-integration:
	@$(call STEP,integration)

test-lane-checks:
	@$(call STEP,sanity)
	@$(call STEP,compat)
	@$(call STEP,ansible-test-units)
	@$(call STEP,lint)
	@$(call STEP,docs-lint)
	@$(call STEP,importer)
	@$(call STEP,molecule)

# --- virtualenv ------------------------------------------------------------
venv: $(VENV)/.s32s-requirements.stamp $(PIP_SHIM)

$(VENV)/.s32s-requirements.stamp: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

# ansible-test bootstraps pip from ci-files.testing.ansible.com (unreachable): cache a shim + wheel.
$(PIP_SHIM): scripts/get_pip_shim.py $(VENV)/.s32s-requirements.stamp
	mkdir -p $(TEST_CACHE)
	$(BIN)/python -m pip download -q --no-deps -d $(TEST_CACHE) pip==$(PIP_BOOTSTRAP_VERSION)
	cp scripts/get_pip_shim.py $@

# --- collections path ------------------------------------------------------
collpath: $(BUNDLE_STAMP)
	mkdir -p $(COLL)/ansible_collections/s32s
	test -L $(COLL)/ansible_collections/s32s/sync || ln -sfn ../../.. $(COLL)/ansible_collections/s32s/sync

$(BUNDLE_STAMP): scripts/extract_colls.py | $(VENV)/.s32s-requirements.stamp
	mkdir -p $(COLL)
	rm -f $(COLL)/.bundle-*.stamp
	$(BIN)/python scripts/extract_colls.py --ansible-version $(ANSIBLE_BUNDLE) --dest $(COLL) $(BUNDLED_COLLECTIONS)
	touch $@

# --- tests -------------------------------------------------------------------
unit: venv collpath
	$(BIN)/python -m pytest -q tests/unit $(PYTEST_ARGS)

# The transfer tests run a second time with botocore for every request (without awscrt on a host,
# preferred_transfer_client: auto is classic); the first run sends small objects through awscrt.
CLASSIC_TRANSFER_TESTS := tests/integration/test_push_pull.py tests/integration/test_safety_faults.py \
	tests/integration/test_safety_atomic_pull.py tests/integration/test_safety_odd_content.py \
	tests/integration/test_safety_containment.py tests/integration/test_sse_integrity.py

# Each pytest-xdist worker starts its own moto and rclone servers on free ports: workers share no state.
# test_compat_smoke.py runs in make compat, with the old and new ansible-core and a host below the floors.
TEST_WORKERS ?= 2

integration: venv collpath
	$(BIN)/python -m pytest -n $(TEST_WORKERS) tests/integration --ignore=tests/integration/test_compat_smoke.py $(PYTEST_ARGS)
	S32S_TEST_TRANSFER_CLIENT=classic $(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(CLASSIC_TRANSFER_TESTS) $(PYTEST_ARGS)

# ansible-test runs in a copy of the collection outside the work tree, with amazon.aws beside it.
stage: venv collpath
	rm -rf $(AC_TMP)
	$(BIN)/python scripts/stage_collection.py $(AC_COLL)
	mkdir -p $(AC_TMP)/ansible_collections/amazon
	ln -s $(COLL)/ansible_collections/amazon/aws $(AC_TMP)/ansible_collections/amazon/aws

sanity: stage shellcheck
	cd $(AC_COLL) && $(BIN)/ansible-test sanity $(SANITY_ARGS)

# The unit tests again, as ansible-test runs them: its own pytest configuration (not pytest.ini),
# ansible_collections set up by ansible-test; tests/conftest.py puts tests/ on sys.path itself.
ansible-test-units: stage
	cd $(AC_COLL) && $(BIN)/ansible-test units $(UNITS_ARGS)

# The claimed floors and the newest releases (scripts/compat.py, CONTRIBUTING.md "Supported versions"):
# for ansible-core COMPAT_LOW_CORE (controller Python 3.10; host Python 3.9, boto3/botocore 1.36.0) and
# COMPAT_NEW_CORE (Python 3.13; the latest boto3/botocore), each in its own cached virtualenvs
# .venv-compat-<core>[-host]: ansible-test sanity (compile and import on every module Python from 3.9
# found here), then tests/integration/test_compat_smoke.py with that ansible-playbook and host interpreter,
# plus a host below the floors that must fail naming them. Part of make test: about 3 min with the
# virtualenvs cached, 6-7 min without.
COMPAT_LOW_CORE ?= 2.17.0
COMPAT_NEW_CORE ?= 2.21.5
COMPAT_ARGS ?=

compat: venv collpath
	COMPAT_LOW_CORE=$(COMPAT_LOW_CORE) COMPAT_NEW_CORE=$(COMPAT_NEW_CORE) $(BIN)/python scripts/compat.py $(COMPAT_ARGS)

# Best effort: ansible-test skips its shellcheck test (with a warning) when the tool is missing.
shellcheck:
	@if ! command -v shellcheck >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing shellcheck (apt-get)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q shellcheck >/dev/null 2>&1 \
	      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q shellcheck >/dev/null 2>&1; } \
	      || echo "WARNING: could not install shellcheck; sanity will skip it"; \
	  else \
	    echo "WARNING: shellcheck not found; sanity will skip it"; \
	  fi; \
	fi

lint: venv collpath
	$(BIN)/ansible-lint --offline

# Scenarios of extensions/molecule/ (localhost, a moto server started by each scenario, no Docker).
# Their molecule.yml sets prerun: false (no copy of the collection installed into ~/.ansible/collections
# to shadow the work tree) and ANSIBLE_COLLECTIONS_PATH=${MOLECULE_PROJECT_DIRECTORY}/.collections,
# whose s32s/sync is the symlink to this tree; verify asserts both.
molecule: venv collpath
	cd $(CURDIR) && NO_COLOR=1 MOLECULE_PROJECT_DIRECTORY=$(CURDIR) $(BIN)/molecule test --all

build: venv
	mkdir -p $(DIST)
	$(BIN)/ansible-galaxy collection build --force --output-path $(DIST)

# --- docs ----------------------------------------------------------------------
# docs-lint (part of make test, about 15 s): the extra docs pages docs/docsite/rst/*.rst, generated
# from the Markdown guides docs/safety.md and docs/migrating-from-s32s.md by scripts/md2rst.py, are
# current, and antsibull-docs lint-collection-docs --plugin-docs is clean, references to other
# collections included. antsibull-docs copies the dependencies (amazon.aws) with `git ls-files`
# when they sit in a git work tree; .collections/ is git-ignored, so GIT_CEILING_DIRECTORIES keeps
# git from finding this tree above them.
# make docs (not part of make test): regenerates docs/docsite/rst, lints, then builds the docsite
# with antsibull-docs sphinx-init and Sphinx under -W (warnings are errors), offline
# (scripts/build_docsite.py), into $(DOCSITE)/build/html.
DOCSITE := $(CURDIR)/tests/output/docsite

docs-lint: venv collpath
	$(BIN)/python scripts/md2rst.py --check
	GIT_CEILING_DIRECTORIES=$(COLL) $(BIN)/antsibull-docs lint-collection-docs --plugin-docs \
	    --validate-collection-refs=all --disallow-unknown-collection-refs --check-extra-docs-refs .

docs: venv collpath
	$(BIN)/python scripts/md2rst.py
	$(MAKE) --no-print-directory docs-lint
	$(BIN)/python scripts/build_docsite.py $(DOCSITE)

# Galaxy's importer (galaxy-importer, pinned in requirements-dev.txt) on the built tarball, configured
# for no Docker and no network: no ansible-test (it needs a container), ansible-doc and
# ansible-lint --offline with amazon.aws from $(COLL). Fails on any ERROR or WARNING line.
importer: build collpath
	$(BIN)/python scripts/galaxy_import.py --workdir $(CURDIR)/tests/output/importer --collections $(COLL) $(TARBALL)

clean:
	rm -rf $(COLL) $(AC_TMP) tests/output .pytest_cache

# --- demo --------------------------------------------------------------------
# The S32S flow end to end through the playbooks, on an embedded moto server (scripts/demo.py).
.PHONY: demo
demo: venv collpath
	$(BIN)/python scripts/demo.py

# --- benchmark (not part of `make test`; see bench/README.md) ---------------
#   make bench BENCH_RUNS=3 BENCH_DATASETS=small,mixed [BENCH_SCALE=0.1] [BENCH_ARGS='--servers rclone']
BENCH_VENV ?= $(CURDIR)/bench/.venv
BENCH_RUNS ?= 3
BENCH_DATASETS ?= small,mixed
BENCH_SCALE ?= 1
BENCH_ARGS ?=

BENCH_REPLICATE_FILES ?= 1000

.PHONY: bench bench-replicate
bench: collpath $(BENCH_VENV)/.bench-requirements.stamp
	$(BENCH_VENV)/bin/python bench/run.py --runs $(BENCH_RUNS) --datasets $(BENCH_DATASETS) \
	    --scale $(BENCH_SCALE) $(BENCH_ARGS)
	$(MAKE) --no-print-directory bench-replicate

# S3-to-S3: s32s_replicate against rclone sync between two remotes (moto -> rclone serve s3).
bench-replicate: collpath $(BENCH_VENV)/.bench-requirements.stamp
	$(BENCH_VENV)/bin/python bench/replicate.py --runs $(BENCH_RUNS) --files $(BENCH_REPLICATE_FILES) \
	    --out bench/RESULTS-replicate.md

$(BENCH_VENV)/.bench-requirements.stamp: bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q -U pip
	$(BENCH_VENV)/bin/python -m pip install -q -r bench/requirements.txt
	touch $@
