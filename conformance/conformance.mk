# conformance.mk: the conformance suite (see conformance/README.md).
# Included from the root Makefile (include conformance/conformance.mk); its
# paths follow where it is included from.

CONFORMANCE_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

.PHONY: conformance conformance-kube conformance-scheduler

# Builds bin/kube-apiserver-<version> and bin/etcd-<version> from the pinned
# tool module when they are missing (the script skips cached binaries).
conformance-kube:
	bash $(CONFORMANCE_DIR)/hack/build-kube.sh

# Every check: strict decode, KServe CRD schema/CEL/pruning, KServe's
# admission and defaulting, pod security, and a real kube-apiserver dry run.
# -count=1: the suite execs binaries and reads files outside the module, which
# go test's result cache does not fully track.
conformance: conformance-kube conformance-scheduler
	cd $(CONFORMANCE_DIR) && go test -count=1 ./...

# The llm-d scheduler configs servelayer renders, in the scheduler's own
# loader (llm-d-inference-scheduler v0.4.0, KServe v0.17's), and its
# KV-block keys against vLLM's block hashes (the vLLM oracle). Its own
# module: the scheduler's dependencies differ from KServe's.
conformance-scheduler: vllm-oracle
	cd $(CONFORMANCE_DIR)/scheduler && go vet ./... && \
	  VLLM_ORACLE=$(VLLM_ORACLE)/bin/python go test -count=1 ./...
