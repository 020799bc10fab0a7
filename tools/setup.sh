#!/usr/bin/env bash
# Installs everything the project needs from its own files, and nothing twice.
#
#   .venv/          Python packages pinned in requirements.txt, plus this project (editable)
#   node_modules/   npm packages pinned in package-lock.json (solc-js, anvil, cast, OpenZeppelin)
#   .solcx/         solc-v0.8.28 -> tools/solc/solc.mjs, where py-solc-x looks for compilers
#
# Each step is skipped when the stamp beside it matches the hash of the files it installs
# from, so a second run takes about a second. After it, inside the environment
# (`source .venv/bin/activate`), `ape compile`, `ape test` and `ape run ...` work as usual:
# anvil and cast are linked into .venv/bin and the venv points py-solc-x at .solcx/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv="$root/.venv"
python=${PYTHON:-python3}

say() { printf 'setup: %s\n' "$*"; }
fingerprint() { cat "$@" | sha256sum | cut -d' ' -f1; }

# Python: one virtual environment, exact pins.
python_stamp="$venv/.installed"
python_hash=$(fingerprint requirements.txt pyproject.toml)
if [[ ! -x "$venv/bin/python" || "$(cat "$python_stamp" 2>/dev/null)" != "$python_hash" ]]; then
  say "installing Python packages into .venv (pinned in requirements.txt)"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
  echo "$python_hash" > "$python_stamp"
fi

# npm: the lock file decides.
node_stamp="node_modules/.installed"
node_hash=$(fingerprint package.json package-lock.json)
if [[ ! -d node_modules || "$(cat "$node_stamp" 2>/dev/null)" != "$node_hash" ]]; then
  say "installing npm packages into node_modules (pinned in package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$node_hash" > "$node_stamp"
fi

# The compiler adapter, where py-solc-x finds installed compilers.
solc_version=$(node -p 'require("solc/package.json").version')
mkdir -p .solcx
ln -sfn "../tools/solc/solc.mjs" ".solcx/solc-v$solc_version"

# Inside the venv: py-solc-x looks in .solcx/, and anvil and cast are on PATH.
site_packages=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
pth_line="import os; os.environ.setdefault('SOLCX_BINARY_PATH', '$root/.solcx')"
if [[ "$(cat "$site_packages/learning_market_toolchain.pth" 2>/dev/null)" != "$pth_line" ]]; then
  echo "$pth_line" > "$site_packages/learning_market_toolchain.pth"
fi
for tool in anvil cast; do
  binary=$(node -e "
    const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
    const pkg = require.resolve('@foundry-rs/$tool-' + process.platform + '-' + arch + '/package.json');
    console.log(require('path').join(require('path').dirname(pkg), 'bin', '$tool'));")
  ln -sfn "$binary" "$venv/bin/$tool"
done
