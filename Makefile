# servelayer: `make examples` renders the examples; `make test` runs everything.
SHELL := /bin/bash
.DEFAULT_GOAL := examples

BIN        := $(CURDIR)/bin
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -s -w -X main.version=$(VERSION)
GO_BUILD   := CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)"

# Pinned tools, installed into the git-ignored bin/.
KUSTOMIZE_VERSION      := v5.8.2
CONTROLLER_GEN_VERSION := v0.19.0
BENCHSTAT_VERSION      := v0.0.0-20260908200009-22c9c6c9d4da
KUSTOMIZE              := $(BIN)/kustomize-$(KUSTOMIZE_VERSION)
# kubeconform validates the examples' specs against schema/jsonschema.
KUBECONFORM_VERSION    := v0.8.0
KUBECONFORM            := $(BIN)/kubeconform-$(KUBECONFORM_VERSION)
# vLLM's own argument parser, the oracle of the engine-argument tests: the
# version of the default image (schema.VLLMVersion), in a pinned venv.
VLLM_VERSION           := 0.11.0
VLLM_ORACLE            := $(BIN)/vllm-oracle-$(VLLM_VERSION)
# The LiteLLM proxy the fleet form is proven against (render's
# LiteLLMVersion; README "LiteLLM" says why this version), in a pinned venv.
LITELLM_VERSION        := 1.80.10
LITELLM_PROXY          := $(BIN)/litellm-$(LITELLM_VERSION)

EXAMPLES := $(sort $(patsubst examples/%/,%,$(wildcard examples/*/)))

.PHONY: build
build: ## Build bin/servelayer (static).
	$(GO_BUILD) -o $(BIN)/servelayer ./cmd/servelayer

.PHONY: tools
tools: $(KUSTOMIZE) $(KUBECONFORM) ## Install pinned tools into bin/.

$(KUSTOMIZE):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	mv $(BIN)/kustomize $@
	ln -sf $(notdir $@) $(BIN)/kustomize

$(KUBECONFORM):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) go install github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)
	mv $(BIN)/kubeconform $@
	ln -sf $(notdir $@) $(BIN)/kubeconform

.PHONY: vllm-oracle
vllm-oracle: ## Install vLLM's argument parser (test oracle) into bin/ (cached).
	bash hack/vllm-oracle/install.sh $(VLLM_ORACLE)

.PHONY: litellm-proxy
litellm-proxy: ## Install the LiteLLM proxy (test oracle) into bin/ (cached).
	bash hack/litellm-proxy/install.sh $(LITELLM_PROXY)

.PHONY: vllm-flags
vllm-flags: vllm-oracle ## Regenerate schema/vllmflags.txt from vLLM's parser.
	$(VLLM_ORACLE)/bin/python hack/vllm-oracle/oracle.py flags > schema/vllmflags.txt

.PHONY: examples
examples: build tools ## Render every example with the real kustomize CLI.
	@set -e; for e in $(EXAMPLES); do \
	  echo "# ---- examples/$$e"; \
	  $(KUSTOMIZE) build --enable-alpha-plugins --enable-exec examples/$$e; \
	done

.PHONY: generate
generate: ## Regenerate deepcopy, the CRDs and their JSON Schemas from the schema types.
	go run sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION) \
	  object:headerFile=hack/boilerplate.go.txt paths=./schema/... \
	  crd:crdVersions=v1 output:crd:artifacts:config=schema/crd
	go run ./hack/jsonschema

.PHONY: docs
docs: ## Regenerate the README's spec reference from the CRDs.
	go run ./hack/specdoc

.PHONY: golden
golden: build tools ## Rewrite golden files (review the diff before committing).
	go test ./render ./plan ./examples ./cmd/servelayer ./internal/jsonschema -update

.PHONY: lint
lint: ## gofmt and go vet.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	cd conformance && go vet ./...
	cd e2e && go vet ./...

.PHONY: unit
unit: build tools vllm-oracle litellm-proxy ## Go tests of the main module.
	KUSTOMIZE=$(KUSTOMIZE) KUBECONFORM=$(KUBECONFORM) VLLM_ORACLE=$(VLLM_ORACLE)/bin/python LITELLM=$(LITELLM_PROXY)/bin/litellm go test -count=1 ./...

include conformance/conformance.mk
include hack/fuzz.mk
include argocd/argocd.mk
include e2e/e2e.mk

.PHONY: test
test: lint unit fuzz conformance image-test cmp-test cmp-image-test e2e ## Everything CI runs.

# `make bench`: the fleet curve (1, 100, 1,000 and 10,000 models) beside its
# floor, go.yaml.in/yaml/v3 decoding and encoding the same output, measured in
# one run: cmd/servelayer's BenchmarkFleet through benchstat (a row per size,
# a column per path, each compared with the floor), then whole processes with
# /usr/bin/time -v (hack/fleetbench.sh: wall, CPU, peak RSS and the ratios),
# then the library's own benchmarks. BENCH_COUNT runs of each benchmark.
BENCH_COUNT ?= 6
BENCHSTAT   := go run golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

.PHONY: bench
bench: build ## The fleet curve beside its floor: benchstat, then whole processes (hack/fleetbench.sh).
	go test -run '^$$' -bench '^BenchmarkFleet$$' -benchmem -count $(BENCH_COUNT) -timeout 60m ./cmd/servelayer | tee $(BIN)/bench-fleet.txt
	$(BENCHSTAT) -row /models -col /path $(BIN)/bench-fleet.txt
	hack/fleetbench.sh
	go test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) ./render | tee $(BIN)/bench-render.txt
	$(BENCHSTAT) $(BIN)/bench-render.txt

.PHONY: help
help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
