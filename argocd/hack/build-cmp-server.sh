#!/usr/bin/env bash
# Builds the real argocd-cmp-server from Argo CD's Go module, pinned by the
# test module argocd/e2e (its `tool` line), into the git-ignored bin/ at the
# repo root:
#
#   bin/argocd-<version>/argocd-cmp-server
#
# Argo CD ships one multi-call binary (github.com/argoproj/argo-cd/v3/cmd) and
# picks the component from argv[0], so the output file is named
# argocd-cmp-server. A stamp keyed by the module's go.mod/go.sum makes a
# second run a no-op (delete bin/argocd-* to force a rebuild). Prints the
# binary's path on stdout; progress goes to stderr.
set -euo pipefail

main() {
	local root mod version outdir out stamp want start
	root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
	mod="$root/argocd/e2e"
	version="$(awk '$1 == "github.com/argoproj/argo-cd/v3" && $2 ~ /^v/ {print $2; exit}' "$mod/go.mod")"
	if [[ -z "$version" ]]; then
		echo "build-cmp-server: cannot read the argo-cd version from $mod/go.mod" >&2
		return 1
	fi
	outdir="$root/bin/argocd-$version"
	out="$outdir/argocd-cmp-server"
	stamp="$outdir/.stamp"
	want="$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -d' ' -f1)"

	if [[ -x "$out" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
		echo "build-cmp-server: cached $out" >&2
		echo "$out"
		return 0
	fi

	mkdir -p "$outdir"
	tmp="$(mktemp "$outdir/.argocd-cmp-server.XXXXXX")" # global: the EXIT trap runs after main
	trap 'rm -f "$tmp"' EXIT
	start=$SECONDS
	echo "build-cmp-server: building argo-cd $version (cold: about 10 min on 2 cores)" >&2
	(
		cd "$mod"
		# -mod=readonly: the pinned go.sum is the only source of truth.
		CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" go build -trimpath \
			-ldflags "-s -w -X github.com/argoproj/argo-cd/v3/common.version=${version#v}" \
			-o "$tmp" github.com/argoproj/argo-cd/v3/cmd
	)
	chmod 0755 "$tmp"
	mv -f "$tmp" "$out"
	echo "$want" >"$stamp"
	echo "build-cmp-server: built $out in $((SECONDS - start))s" >&2
	echo "$out"
}

main "$@"
