# argocd/argocd.mk: the Argo CD Config Management Plugin and the container image.
# Included from the root Makefile (`include argocd/argocd.mk`), whose `build`
# target makes the static bin/servelayer these targets use and whose `tools`
# target installs the pinned kustomize ($(KUSTOMIZE)).
#
#   make cmp-tools    install buildah, podman and runc from Debian if missing
#   make image        build the image (buildah, offline, FROM scratch)
#   make image-test   build and test it with podman against the exec binary
#   make cmp-server   build the real argocd-cmp-server into bin/ (cached)
#   make cmp-test     run the plugin in the real argocd-cmp-server (argocd/e2e)
#   make cmp-image-test  the same, with the cmp-server inside the image as the
#                     repo-server sidecar runs it (UID 999, read-only, no network)

BIN ?= $(CURDIR)/bin
KUSTOMIZE ?= $(BIN)/kustomize
CMP_APT_PACKAGES := buildah podman runc
# root on CI; elsewhere sudo, if there is one.
CMP_SUDO := $(if $(filter 0,$(shell id -u)),,$(shell command -v sudo))

# The e2e test builds with the cmp-server's flags (CGO_ENABLED=0, -trimpath),
# so it reuses that build's cache instead of compiling ~1,400 packages again.
CMP_E2E_GO := cd argocd/e2e && CGO_ENABLED=0 GOFLAGS="$$GOFLAGS -trimpath"

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
	SERVELAYER=$(BIN)/servelayer argocd/hack/image-test.sh build

.PHONY: image-test
image-test: build tools cmp-tools ## Build the image, then check it with podman (and kustomize) against the exec binary.
	SERVELAYER=$(BIN)/servelayer KUSTOMIZE=$(KUSTOMIZE) argocd/hack/image-test.sh test

.PHONY: cmp-server
cmp-server: ## Build the real argocd-cmp-server (argo-cd pinned in argocd/e2e/go.mod) into bin/.
	argocd/hack/build-cmp-server.sh >/dev/null

.PHONY: cmp-test
cmp-test: build cmp-server ## Run the CMP in the real argocd-cmp-server, driven by Argo CD's cmp client.
	$(CMP_E2E_GO) go vet ./...
	$(CMP_E2E_GO) SERVELAYER=$(BIN)/servelayer ARGOCD_CMP_SERVER=$$($(CURDIR)/argocd/hack/build-cmp-server.sh 2>/dev/null) \
	  go test -count=1 -timeout 15m ./...

.PHONY: cmp-image-test
cmp-image-test: image cmp-server ## The cmp e2e test with the cmp-server inside the image as UID 999 (the sidecar).
	$(CMP_E2E_GO) SERVELAYER=$(BIN)/servelayer ARGOCD_CMP_SERVER=$$($(CURDIR)/argocd/hack/build-cmp-server.sh 2>/dev/null) \
	  CMP_E2E_IMAGE=localhost/servelayer:dev CONTAINERS_STORE=$(BIN)/containers \
	  go test -count=1 -timeout 15m ./...
