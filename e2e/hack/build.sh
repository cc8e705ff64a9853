#!/usr/bin/env bash
# Builds every binary the e2e cluster runs into the repo-root bin/ directory
# (git-ignored), keyed by the version of the pinned module each comes from:
#   bin/kube-apiserver-v1.34.3, etcd-v3.6.4, kube-controller-manager-v1.34.3,
#   kube-scheduler-v1.34.3        (conformance/tools/kube, via build-kube.sh)
#   bin/kwok-v0.8.0               (e2e/tools/kwok)
#   bin/kserve-manager-v0.17.0    (e2e/tools/kserve: InferenceService manager)
#   bin/kserve-llmisvc-v0.17.0    (e2e/tools/kserve: LLMInferenceService manager)
# One go build at a time: parallel builds thrash a small machine. A binary
# that already exists is not rebuilt (FORCE=1 rebuilds). Prints the paths.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
bindir="${BIN_DIR:-${root}/bin}"
mkdir -p "${bindir}"

bash "${root}/conformance/hack/build-kube.sh" kube-apiserver etcd kube-controller-manager kube-scheduler

build() { # build MODULE_DIR OUT PKG [GO BUILD FLAGS...]
	local dir="$1" out="$2" pkg="$3"
	shift 3
	if [[ -x "${out}" && "${FORCE:-0}" != 1 ]]; then
		echo "e2e-build: ${out} is cached" >&2
		echo "${out}"
		return
	fi
	local start=${SECONDS}
	echo "e2e-build: building ${pkg} -> ${out}" >&2
	# A temporary name, renamed when done: an interrupted build never leaves
	# a binary that looks cached.
	(cd "${dir}" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" "$@" -o "${out}.tmp" "${pkg}")
	mv -f "${out}.tmp" "${out}"
	echo "e2e-build: built ${out} in $((SECONDS - start))s" >&2
	echo "${out}"
}

kwok_dir="${root}/e2e/tools/kwok"
kwok_version="$(cd "${kwok_dir}" && go list -m -f '{{.Version}}' sigs.k8s.io/kwok)"
build "${kwok_dir}" "${bindir}/kwok-${kwok_version}" sigs.k8s.io/kwok/cmd/kwok

# KServe's managers hard-code no webhook host, so controller-runtime listens
# on every interface. The e2e cluster serves everything on 127.0.0.1: build
# each main.go through an overlay that adds Host: "127.0.0.1" to its
# webhook.Options and changes nothing else.
kserve_dir="${root}/e2e/tools/kserve"
kserve_version="$(cd "${kserve_dir}" && go list -m -f '{{.Version}}' github.com/kserve/kserve)"
kserve_src="$(cd "${kserve_dir}" && go mod download -json github.com/kserve/kserve | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
overlay="$(mktemp -d)"
trap 'rm -rf "${overlay}"' EXIT
printf '{"Replace":{' >"${overlay}/overlay.json"
sep=""
for cmd in manager llmisvc; do
	orig="${kserve_src}/cmd/${cmd}/main.go"
	sed 's/webhook\.Options{/webhook.Options{Host: "127.0.0.1", /' "${orig}" >"${overlay}/${cmd}.go"
	if [[ "$(grep -c 'Host: "127.0.0.1"' "${overlay}/${cmd}.go")" != 1 ]]; then
		echo "e2e-build: ${orig}: expected exactly one webhook.Options{ to patch" >&2
		exit 1
	fi
	printf '%s"%s":"%s"' "${sep}" "${orig}" "${overlay}/${cmd}.go" >>"${overlay}/overlay.json"
	sep=","
done
printf '}}\n' >>"${overlay}/overlay.json"
build "${kserve_dir}" "${bindir}/kserve-manager-${kserve_version}" github.com/kserve/kserve/cmd/manager \
	-overlay "${overlay}/overlay.json"
build "${kserve_dir}" "${bindir}/kserve-llmisvc-${kserve_version}" github.com/kserve/kserve/cmd/llmisvc \
	-overlay "${overlay}/overlay.json"
