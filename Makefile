# DLPaper2Code: the front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
PROTO_STAMP := libs/common/gen/.proto-stamp
PROTOS := $(shell find proto -name '*.proto')
PACKAGES := -e libs/common -e libs/cli -e services/codegen -e services/simulator -e services/flow -e services/ocr -e services/classifier -e services/splitter -e services/tables -e services/gateway -e services/crawler
# Debian packages the project needs on this machine (binaries checked, packages installed when missing).
SYSTEM_BINS := dot:graphviz tesseract:tesseract-ocr chromium:chromium npm:npm
RUN_OUT ?= out/run

.PHONY: web help setup sysdeps proto schema caffe run serve test test-fast bench lint clean train-classifier images helm-lint

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo; echo "  Start with: make run   (set-up, then the main job)   and   make test"

setup: $(STAMP) $(PROTO_STAMP) ## Create .venv with every dependency and generate the protobuf stubs

$(STAMP): pyproject.toml libs/common/pyproject.toml libs/cli/pyproject.toml services/codegen/pyproject.toml services/simulator/pyproject.toml services/flow/pyproject.toml services/ocr/pyproject.toml services/classifier/pyproject.toml services/splitter/pyproject.toml services/tables/pyproject.toml services/gateway/pyproject.toml services/crawler/pyproject.toml | sysdeps
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 (e.g. apt-get install python3.11 python3.11-venv)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --group dev $(PACKAGES)
	@touch $@

sysdeps: ## Install the Debian packages the project needs, when missing (or say which to install)
	@missing=""; for pair in $(SYSTEM_BINS); do bin=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$bin >/dev/null || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "error: missing system packages:$$missing; install them with: sudo apt-get install$$missing"; exit 1; fi; \
	fi

$(PROTO_STAMP): $(PROTOS) $(STAMP)
	@mkdir -p libs/common/gen
	$(BIN)/python -m grpc_tools.protoc -I proto --python_out=libs/common/gen --pyi_out=libs/common/gen \
	  --grpc_python_out=libs/common/gen $(PROTOS)
	@touch $@

proto: $(PROTO_STAMP) ## Generate the Python protobuf/gRPC stubs from proto/ (not committed)

caffe: ## Build real Caffe (pycaffe, CPU) from source into ~/.cache/dlp2c/caffe, once (about 4-6 minutes)
	PYTHON=$(PYTHON) scripts/build_caffe.sh

schema: setup ## Regenerate the published JSON Schema of the graph from the catalog
	$(BIN)/dlp2c schema -o proto/dlp2c/graph/v1/graph.schema.json

run: setup ## The main job on embedded defaults: the sample paper (a PDF the project writes) in, verified code for 4 frameworks out
	@mkdir -p $(RUN_OUT)
	$(BIN)/dlp2c sample $(RUN_OUT)/tinynet.pdf
	$(BIN)/dlp2c run $(RUN_OUT)/tinynet.pdf -o $(RUN_OUT)/tinynet

test: setup caffe web ## Run every test (builds real Caffe and the website first, once; real data tests skip without ../shared/realdata)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

serve: setup web ## The website, the REST API and every pipeline stage in one process (http://127.0.0.1:8080)
	$(BIN)/dlp2c serve

test-fast: setup ## Unit tests only, without the slow ones (no Caffe build needed)
	$(BIN)/python -m pytest -m "not slow and not connected" -n 2

bench: setup ## Measure speed and accuracy; writes bench/REPORT.md and its plots
	$(BIN)/python bench/run.py --out bench

CLASSIFIER_DATA ?= .dlp2c/classifier-data
CLASSIFIER_MODEL ?= services/classifier/src/dlp2c/classifier/model/figure-classifier.keras
train-classifier: setup ## Rebuild the shipped figure classifier from scratch: simulate its data, train three members (~45 min on 2 cores)
	$(BIN)/dlp2c simulate -n 1200 --styles all --negatives 2400 --seed 7001 -o $(CLASSIFIER_DATA)
	$(BIN)/dlp2c train-classifier $(CLASSIFIER_DATA) -o $(CLASSIFIER_MODEL) --epochs 14 --seed 0 --members 3

WEB := services/gateway/web
$(WEB)/dist/index.html: $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/vite.config.js $(WEB)/index.html $(wildcard $(WEB)/src/*)
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js 20 (apt-get install nodejs npm)"; exit 1; }
	cd $(WEB) && npm ci --no-audit --no-fund && npm run build

web: $(WEB)/dist/index.html ## Build the website (React + React Flow, Vite) that `dlp2c serve` serves at /

IMAGE_TAG ?= 0.1.0
images: ## Build the container images (needs a Docker engine): dlp2c and the classifier's CUDA variant
	@command -v docker >/dev/null || { echo "error: no docker here; the images build wherever a Docker engine runs"; exit 1; }
	docker build -f docker/Dockerfile -t dlp2c:$(IMAGE_TAG) .
	docker build -f docker/Dockerfile.cuda -t dlp2c-classifier-cuda:$(IMAGE_TAG) .

helm-lint: setup ## Render the Helm chart for several value sets (Helm v4's library), lint it, validate every object offline
	$(BIN)/python deploy/helm/check.py

lint: setup ## Static checks
	$(BIN)/ruff check libs services tests bench

clean: ## Remove the virtual environment, generated stubs and outputs
	rm -rf $(VENV) libs/common/gen out .pytest_cache
