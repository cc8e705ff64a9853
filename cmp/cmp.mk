# cmp/cmp.mk: the Argo CD Config Management Plugin and the container image.
# Included from the root Makefile (`include cmp/cmp.mk`), whose `build`
# target makes the static bin/servelayer these targets use.
#
#   make cmp-tools    install buildah, podman and runc from Debian if missing
#   make image        build the image (buildah, offline, FROM scratch)
#   make image-test   build and test it with podman against the exec binary
#   make cmp-server   build the real argocd-cmp-server into bin/ (cached)
#   make cmp-test     run the plugin in the real argocd-cmp-server (cmp/e2e)

BIN ?= $(CURDIR)/bin
CMP_APT_PACKAGES := buildah podman runc
# root on CI; elsewhere sudo, if there is one.
CMP_SUDO := $(if $(filter 0,$(shell id -u)),,$(shell command -v sudo))

.PHONY: cmp-tools
cmp-tools: ## Install buildah, podman and runc (Debian) when missing.
	@missing=; for t in $(CMP_APT_PACKAGES); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "cmp-tools: installing$$missing"; \
	  $(CMP_SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(CMP_SUDO) apt-get install -y -q --no-install-recommends $(CMP_APT_PACKAGES); \
	fi

.PHONY: image
image: build cmp-tools ## Build the servelayer image (from bin/servelayer) with buildah.
	SERVELAYER=$(BIN)/servelayer cmp/hack/image-test.sh build

.PHONY: image-test
image-test: build cmp-tools ## Build the image, then check it with podman against the exec binary.
	SERVELAYER=$(BIN)/servelayer cmp/hack/image-test.sh test

.PHONY: cmp-server
cmp-server: ## Build the real argocd-cmp-server (argo-cd pinned in cmp/e2e/go.mod) into bin/.
	cmp/hack/build-cmp-server.sh >/dev/null

.PHONY: cmp-test
cmp-test: build cmp-server ## Run the CMP in the real argocd-cmp-server, driven by Argo CD's cmp client.
	cd cmp/e2e && go vet ./... && \
	  SERVELAYER=$(BIN)/servelayer ARGOCD_CMP_SERVER=$$($(CURDIR)/cmp/hack/build-cmp-server.sh 2>/dev/null) \
	  go test -count=1 -timeout 15m ./...
