#!/usr/bin/env bash
# Builds servelayer's container image with buildah and proves it with podman.
#
#   argocd/hack/image-test.sh build   build the image (needs bin/servelayer: make build)
#   argocd/hack/image-test.sh [test]  build, then test the image:
#     - bin/servelayer is static (CGO_ENABLED=0);
#     - the image is <= IMAGE_MAX_BYTES, runs as a numeric non-root user and
#       holds exactly /etc/passwd, /etc/group and the binary (no shell);
#     - for every ResourceList in argocd/testdata/resourcelists, the image run
#       as kustomize runs container functions (--network none, --user
#       nobody) plus a read-only root fs with no tmpfs, prints byte for byte
#       what the exec binary prints, with the same exit code;
#     - as the Argo CD sidecar runs it (UID 999, `servelayer` found on the
#       image's PATH), `servelayer cmp generate` prints what
#       `servelayer render -f DIR` prints;
#     - the real kustomize CLI (KUSTOMIZE, default bin/kustomize: `make
#       tools`) builds a kustomization whose function annotation is
#       `container: image:` to the same bytes as with `exec: path:`; kustomize
#       runs `docker run ...`, so a `docker` shim on its PATH hands that to
#       podman with this script's store and flags.
#
# No Docker engine and no registry: the Dockerfile is FROM scratch and only
# copies files, so buildah builds it offline (chroot isolation, runc). The
# image store is private to the checkout (bin/containers, vfs driver), so
# nothing leaks into the host's store. The image is also written as an OCI
# archive, bin/servelayer-image.tar, ready for `skopeo copy` / `crane push`.
#
# Environment: SERVELAYER (binary, default bin/servelayer), IMAGE (default
# localhost/servelayer:dev), IMAGE_MAX_BYTES (default 20000000),
# CONTAINERS_STORE (default bin/containers), KUSTOMIZE. Run as root (CI is).
set -euo pipefail

main() {
	local mode="${1:-test}"
	case "$mode" in
	build | test) ;;
	*)
		echo "usage: $0 [build|test]" >&2
		return 2
		;;
	esac
	root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
	bin="${SERVELAYER:-$root/bin/servelayer}"
	image="${IMAGE:-localhost/servelayer:dev}"
	max_bytes="${IMAGE_MAX_BYTES:-20000000}"
	store="${CONTAINERS_STORE:-$root/bin/containers}"
	for tool in buildah podman runc; do
		command -v "$tool" >/dev/null || fail "$tool is not installed: run \`make cmp-tools\`"
	done
	[[ -x "$bin" ]] || fail "$bin is missing: run \`make build\`"
	# One private store for buildah and podman; vfs needs no overlay mounts.
	store_flags=(--root "$store/root" --runroot "$store/run" --storage-driver vfs)
	podman_flags=("${store_flags[@]}" --cgroup-manager cgroupfs --events-backend file)
	# Sandboxes often refuse raising RLIMIT_NOFILE/NPROC to podman's defaults
	# ("error setting rlimit type 7"); lowering is always allowed.
	run_flags=(--rm -i --runtime runc --network=none --read-only --read-only-tmpfs=false
		--cap-drop=all --security-opt=no-new-privileges
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

	build
	[[ "$mode" == test ]] || return 0
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	check_static
	check_image
	check_function
	check_cmp
	check_kustomize
	echo "image-test: PASS ($image, $size bytes)"
}

fail() {
	echo "image-test: FAIL: $*" >&2
	exit 1
}

now_ms() { date +%s%3N; }

build() {
	local t0
	t0=$(now_ms)
	# --timestamp 0: layer and config dates are fixed, so the same binary
	# gives the same image digest.
	buildah "${store_flags[@]}" bud --isolation chroot --runtime runc --timestamp 0 \
		--file "$root/Dockerfile" --tag "$image" "$root" >&2
	rm -f "$root/bin/servelayer-image.tar"
	buildah "${store_flags[@]}" push --quiet "$image" "oci-archive:$root/bin/servelayer-image.tar:$image" >&2
	echo "image-test: built $image in $(($(now_ms) - t0)) ms; OCI archive bin/servelayer-image.tar" >&2
}

check_static() {
	go version -m "$bin" | grep -q 'CGO_ENABLED=0' ||
		fail "$bin is not a CGO_ENABLED=0 build: the scratch image has no libc"
}

check_image() {
	local user entry files want c
	size="$(podman "${podman_flags[@]}" image inspect --format '{{.Size}}' "$image")"
	user="$(podman "${podman_flags[@]}" image inspect --format '{{.Config.User}}' "$image")"
	entry="$(podman "${podman_flags[@]}" image inspect --format '{{json .Config.Entrypoint}}' "$image")"
	echo "image-test: size $size bytes, user $user, entrypoint $entry"
	((size <= max_bytes)) || fail "image is $size bytes, over $max_bytes"
	[[ "$user" =~ ^[0-9]+(:[0-9]+)?$ && "${user%%:*}" != 0 ]] ||
		fail "image user is \"$user\": want a numeric non-root UID (runAsNonRoot checks it)"
	[[ "$entry" == '["/usr/local/bin/servelayer"]' ]] || fail "entrypoint is $entry"
	c="$(podman "${podman_flags[@]}" create --runtime runc "$image")"
	files="$(podman "${podman_flags[@]}" export "$c" | tar -t | sort)"
	podman "${podman_flags[@]}" rm "$c" >/dev/null
	want="$(printf '%s\n' etc/ etc/group etc/passwd usr/ usr/local/ usr/local/bin/ usr/local/bin/servelayer)"
	[[ "$files" == "$want" ]] || fail "image files differ from the expected set:$(diff <(echo "$want") <(echo "$files"))"
	# No shell: an entrypoint of /bin/sh cannot start.
	if podman "${podman_flags[@]}" run "${run_flags[@]}" --entrypoint /bin/sh "$image" -c true </dev/null 2>/dev/null; then
		fail "/bin/sh ran in the image"
	fi
	# Both users the image is run as resolve from its /etc/passwd.
	for u in nobody argocd nonroot; do
		podman "${podman_flags[@]}" run "${run_flags[@]}" --user "$u" "$image" version </dev/null >/dev/null ||
			fail "the image does not run as --user $u"
	done
}

# check_function: the container and the exec binary agree byte for byte.
check_function() {
	local f name ec_exec ec_img t0 ms n=0
	for f in "$root"/argocd/testdata/resourcelists/*.yaml; do
		name="$(basename "$f" .yaml)"
		ec_exec=0
		"$bin" <"$f" >"$tmp/exec.out" 2>"$tmp/exec.err" || ec_exec=$?
		for user in nobody default; do
			local uflag=(--user nobody)
			[[ $user == default ]] && uflag=()
			ec_img=0
			t0=$(now_ms)
			podman "${podman_flags[@]}" run "${run_flags[@]}" "${uflag[@]}" "$image" \
				<"$f" >"$tmp/img.out" 2>"$tmp/img.err" || ec_img=$?
			ms=$(($(now_ms) - t0))
			[[ $ec_img == "$ec_exec" ]] ||
				fail "$name (user $user): image exited $ec_img, exec binary $ec_exec; image stderr: $(head -c 2000 "$tmp/img.err")"
			cmp -s "$tmp/exec.out" "$tmp/img.out" ||
				fail "$name (user $user): image stdout differs from the exec binary's:$(diff "$tmp/exec.out" "$tmp/img.out" | head -40)"
			echo "image-test: $name (user $user): identical output, exit $ec_img, podman run ${ms} ms"
		done
		case "$name" in
		invalid*) [[ $ec_exec != 0 ]] || fail "$name: the function succeeded on invalid input" ;;
		*)
			[[ $ec_exec == 0 ]] || fail "$name: the function failed: $(cat "$tmp/exec.err")"
			grep -q '^  kind: ' "$tmp/exec.out" || fail "$name: no items in the output"
			;;
		esac
		n=$((n + 1))
	done
	((n >= 3)) || fail "only $n ResourceLists under argocd/testdata/resourcelists"
}

# check_cmp: the image as the Argo CD sidecar runs the plugin.
check_cmp() {
	local dir want got ec
	dir="$root/testdata/render/qwen-kserve"
	want="$("$bin" render -f "$dir" --layer kserve)"
	ec=0
	got="$(podman "${podman_flags[@]}" run "${run_flags[@]}" --user 999 \
		--volume "$dir:/app:ro" --workdir /app --env 'ARGOCD_APP_PARAMETERS=[{"name":"layer","string":"kserve"}]' \
		--entrypoint servelayer "$image" cmp generate </dev/null)" || ec=$?
	[[ $ec == 0 ]] || fail "cmp generate in the image exited $ec"
	[[ -n "$got" && "$got" == "$want" ]] || fail "cmp generate in the image differs from render:$(diff <(echo "$want") <(echo "$got") | head -20)"
	echo "image-test: cmp generate as UID 999 in the image == render -f"
}

# check_kustomize: kustomize's container function form runs the image.
check_kustomize() {
	local kustomize="${KUSTOMIZE:-$root/bin/kustomize}" dir form t0 ms
	[[ -x "$kustomize" ]] || fail "$kustomize is missing: run \`make tools\`"
	dir="$tmp/kustomize"
	mkdir -p "$dir/shim" "$dir/exec" "$dir/container"
	# kustomize calls `docker run --rm -i -a STDIN ... --network none --user nobody IMAGE`.
	{
		echo '#!/usr/bin/env bash'
		echo '[[ "$1" == run ]] || { echo "docker shim: only run is supported" >&2; exit 2; }'
		printf 'exec podman'
		printf ' %q' "${podman_flags[@]}" run --runtime runc --read-only --read-only-tmpfs=false \
			--cap-drop=all --ulimit nofile=1024:1024 --ulimit nproc=1024:1024
		echo ' "${@:2}"'
	} >"$dir/shim/docker"
	chmod +x "$dir/shim/docker"
	for form in exec container; do
		printf 'generators:\n- qwen.yaml\n' >"$dir/$form/kustomization.yaml"
		{
			echo 'apiVersion: servelayer.dev/v1alpha1'
			echo 'kind: ServedModel'
			echo 'metadata:'
			echo '  name: qwen'
			echo '  annotations:'
			echo '    config.kubernetes.io/function: |'
			if [[ $form == exec ]]; then
				echo '      exec:'
				echo "        path: $bin"
			else
				echo '      container:'
				echo "        image: $image"
			fi
			echo 'spec:'
			echo '  layer: kserve'
			echo '  model:'
			echo '    name: Qwen/Qwen2.5-0.5B-Instruct'
			echo '    source: {pvc: {claimName: model-cache, path: qwen}}'
			echo '  engine: {image: vllm/vllm-openai:v0.11.0}'
			echo '  resources: {cpu: "4", memory: 16Gi, gpus: 1}'
		} >"$dir/$form/qwen.yaml"
	done
	"$kustomize" build --enable-alpha-plugins --enable-exec "$dir/exec" >"$dir/exec.out" ||
		fail "kustomize build (exec form) failed"
	t0=$(now_ms)
	PATH="$dir/shim:$PATH" "$kustomize" build --enable-alpha-plugins "$dir/container" >"$dir/container.out" ||
		fail "kustomize build (container form) failed"
	ms=$(($(now_ms) - t0))
	grep -q '^kind: InferenceService$' "$dir/exec.out" || fail "kustomize (exec form) rendered no InferenceService"
	cmp -s "$dir/exec.out" "$dir/container.out" ||
		fail "kustomize container form differs from exec form:$(diff "$dir/exec.out" "$dir/container.out" | head -40)"
	echo "image-test: kustomize $("$kustomize" version 2>/dev/null | head -1): container form == exec form (${ms} ms)"
}

main "$@"
