# e2e.mk: the cluster in a box (see e2e/README.md). Included from the root
# Makefile; its paths follow where it is included from.

E2E_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

.PHONY: e2e e2e-bin e2e-tools

# Debian's redis-server: Argo CD's cache in the GitOps scenarios
# (TestArgoCD). Installed when missing; root on CI, elsewhere sudo.
E2E_APT_PACKAGES := redis-server
E2E_SUDO := $(if $(filter 0,$(shell id -u)),,$(shell command -v sudo))
e2e-tools:
	@command -v redis-server >/dev/null || { \
	  echo "e2e-tools: installing $(E2E_APT_PACKAGES)"; \
	  $(E2E_SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(E2E_SUDO) apt-get install -y -q --no-install-recommends $(E2E_APT_PACKAGES); }

# Builds the cluster's binaries into bin/ once, keyed by version
# (kube-apiserver, etcd, kube-controller-manager, kube-scheduler, kwok and
# KServe's two managers); cached binaries are not rebuilt.
e2e-bin:
	bash $(E2E_DIR)/hack/build.sh

# Starts the cluster on 127.0.0.1 in a temporary directory, runs every
# scenario against it, and stops every process it started. -count=1: the
# suite runs binaries and reads files go test's cache does not track.
# cmp-server (argocd/argocd.mk) builds Argo CD's binary, which the GitOps
# scenarios run as the application controller and repo-server too.
e2e: build tools e2e-bin cmp-server e2e-tools
	cd $(E2E_DIR) && KUSTOMIZE=$(KUSTOMIZE) go test -count=1 -timeout 30m -v ./...
