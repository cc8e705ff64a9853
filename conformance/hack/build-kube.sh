#!/usr/bin/env bash
# Builds the Kubernetes binaries that the conformance tests (kube-apiserver,
# etcd) and the e2e cluster (those plus kube-controller-manager and
# kube-scheduler) run, from the pinned module in conformance/tools/kube, into
# the repo-root bin/ directory (git-ignored), keyed by version:
#   bin/kube-apiserver-v1.34.3
#   bin/etcd-v3.6.4
#   bin/kube-controller-manager-v1.34.3   (only when named)
#   bin/kube-scheduler-v1.34.3            (only when named)
# Usage: build-kube.sh [COMPONENT...]; the default is kube-apiserver etcd.
# A binary that already exists is not rebuilt. Set FORCE=1 to rebuild.
# Prints the paths of the binaries on success.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
tools="${root}/conformance/tools/kube"
bindir="${BIN_DIR:-${root}/bin}"

# The versions come from the pinned module, so the file names cannot drift
# from what is actually built.
kube_version="$(cd "${tools}" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
etcd_version="$(cd "${tools}" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
kube_minor="$(echo "${kube_version}" | cut -d. -f2)"
kube_major="$(echo "${kube_version#v}" | cut -d. -f1)"

mkdir -p "${bindir}"

build() { # build OUT PKG [LDFLAGS]
	local out="$1" pkg="$2" ldflags="${3:-}"
	if [[ -x "${out}" && "${FORCE:-0}" != 1 ]]; then
		echo "build-kube: ${out} is cached" >&2
		return
	fi
	local start=${SECONDS}
	echo "build-kube: building ${pkg} -> ${out}" >&2
	# Build to a temporary name and rename, so an interrupted build never
	# leaves a binary that looks cached.
	(cd "${tools}" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w ${ldflags}" -o "${out}.tmp" "${pkg}")
	mv -f "${out}.tmp" "${out}"
	echo "build-kube: built ${out} in $((SECONDS - start))s" >&2
}

kube_ldflags="-X k8s.io/component-base/version.gitVersion=${kube_version} -X k8s.io/component-base/version.gitMajor=${kube_major} -X k8s.io/component-base/version.gitMinor=${kube_minor}"

components=("$@")
[[ ${#components[@]} -gt 0 ]] || components=(kube-apiserver etcd)
for c in "${components[@]}"; do
	case "${c}" in
	kube-apiserver | kube-controller-manager | kube-scheduler)
		build "${bindir}/${c}-${kube_version}" "k8s.io/kubernetes/cmd/${c}" "${kube_ldflags}"
		echo "${bindir}/${c}-${kube_version}"
		;;
	etcd)
		build "${bindir}/etcd-${etcd_version}" ./etcd
		echo "${bindir}/etcd-${etcd_version}"
		;;
	*)
		echo "build-kube: unknown component ${c}" >&2
		exit 2
		;;
	esac
done
