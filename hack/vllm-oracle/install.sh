#!/usr/bin/env bash
# Installs the vLLM argument-parser oracle into $1 (bin/vllm-oracle-<version>):
# a Python 3.12 venv with the pinned, hash-checked packages of
# requirements.txt, and vLLM's Python sources unpacked from the pinned wheel
# into $1/src. Skips the work when $1/.done holds the hash of the pins (the
# cache); run the oracle as $1/bin/python hack/vllm-oracle/oracle.py.
set -euo pipefail
dest=$1
here=$(cd "$(dirname "$0")" && pwd)
stamp=$(cat "$here/requirements.txt" "$here/vllm.txt" | sha256sum | cut -d' ' -f1)
[ "$(cat "$dest/.done" 2>/dev/null)" = "$stamp" ] && exit 0
# The image's Python is 3.12: take the first 3.12 found (pyenv's need not be active).
python=
for p in ${VLLM_ORACLE_PYTHON:-} python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do
  if "$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then python=$p; break; fi
done
if [ -z "$python" ]; then
  echo "vllm-oracle: needs Python 3.12 (the vllm/vllm-openai:v0.11.0 image's); set VLLM_ORACLE_PYTHON" >&2
  exit 1
fi
rm -rf "$dest"
"$python" -m venv "$dest"
pip=("$dest/bin/python" -m pip --disable-pip-version-check --no-input)
"${pip[@]}" install -q --no-deps --require-hashes --only-binary :all: -r "$here/requirements.txt"
"${pip[@]}" check
dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
"${pip[@]}" download -q --no-deps --require-hashes --only-binary :all: -r "$here/vllm.txt" -d "$dl"
"$dest/bin/python" - "$dl"/vllm-*.whl "$dest/src" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith("vllm/") and n.endswith(".py")]
    z.extractall(out, names)
print(f"vllm-oracle: {len(names)} Python files of {wheel.rsplit('/', 1)[-1]} in {out}")
PY
"$dest/bin/python" "$here/oracle.py" flags > /dev/null # it loads
echo "$stamp" > "$dest/.done"
