#!/usr/bin/env bash
# Installs the LiteLLM proxy of the fleet-form test into $1
# (bin/litellm-<version>): a Python 3.12 venv with the pinned, hash-checked
# packages of requirements.txt. Skips the work when $1/.done holds the hash
# of the pins (the cache). The test runs $1/bin/litellm.
set -euo pipefail
dest=$1
here=$(cd "$(dirname "$0")" && pwd)
stamp=$(sha256sum < "$here/requirements.txt" | cut -d' ' -f1)
[ "$(cat "$dest/.done" 2>/dev/null)" = "$stamp" ] && exit 0
# Take the first Python 3.12 found (pyenv's need not be active).
python=
for p in ${LITELLM_PYTHON:-} python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do
  if "$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then python=$p; break; fi
done
if [ -z "$python" ]; then
  echo "litellm-proxy: needs Python 3.12; set LITELLM_PYTHON" >&2
  exit 1
fi
rm -rf "$dest"
"$python" -m venv "$dest"
pip=("$dest/bin/python" -m pip --disable-pip-version-check --no-input)
start=$SECONDS
"${pip[@]}" install -q --no-deps --require-hashes --only-binary :all: -r "$here/requirements.txt"
"${pip[@]}" check
# The compromised 1.82.7/1.82.8 uploads ran their payload from a .pth file
# at every interpreter start: a venv of these pins has none.
if pth=$(find "$dest/lib" -name '*.pth' | grep .); then
  echo "litellm-proxy: unexpected .pth start-up hooks in the venv:" >&2
  echo "$pth" >&2
  exit 1
fi
"$dest/bin/litellm" --version
echo "litellm-proxy: installed in $((SECONDS - start)) s"
echo "$stamp" > "$dest/.done"
