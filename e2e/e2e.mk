# e2e.mk: the cluster in a box (see e2e/README.md). Included from the root
# Makefile; its paths follow where it is included from.

E2E_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

.PHONY: e2e e2e-bin

# Builds the cluster's binaries into bin/ once, keyed by version
# (kube-apiserver, etcd, kube-controller-manager, kube-scheduler, kwok and
# KServe's two managers); cached binaries are not rebuilt.
e2e-bin:
	bash $(E2E_DIR)/hack/build.sh

# Starts the cluster on 127.0.0.1 in a temporary directory, runs every
# scenario against it, and stops every process it started. -count=1: the
# suite runs binaries and reads files go test's cache does not track.
e2e: build tools e2e-bin
	cd $(E2E_DIR) && KUSTOMIZE=$(KUSTOMIZE) go test -count=1 -timeout 30m -v ./...
