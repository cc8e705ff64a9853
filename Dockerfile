# servelayer's container image: the KRM function (kustomize/kpt container
# functions) and the Argo CD CMP sidecar (argocd/README.md).
#
# One stage, FROM scratch, that only copies files: the static binary comes
# from `make build` (CGO_ENABLED=0) in the build context, so the build needs
# no base image, no registry and no network.
#
#   make build image          # buildah bud; see argocd/argocd.mk
#   make build && docker build -t servelayer .
#
# Only bin/servelayer and argocd/image/ are in the context (.dockerignore).
FROM scratch

# nonroot (65532, the default user), nobody (65534: kustomize runs container
# functions with --user nobody) and argocd (999: the CMP sidecar's UID).
COPY argocd/image/etc/passwd argocd/image/etc/group /etc/
COPY bin/servelayer /usr/local/bin/servelayer

# No shell in the image: the CMP's plugin.yaml calls `servelayer` by name.
ENV PATH=/usr/local/bin
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
WORKDIR /
# With no arguments (and a ResourceList on stdin) it is a KRM function.
ENTRYPOINT ["/usr/local/bin/servelayer"]

LABEL org.opencontainers.image.title="servelayer" \
      org.opencontainers.image.description="Renders a ServedModel for raw vLLM, KServe or llm-d: KRM function and Argo CD CMP" \
      org.opencontainers.image.source="https://github.com/servelayer/servelayer"
