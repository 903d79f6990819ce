#!/usr/bin/env bash
# Prepares what the integration tests need: Debian packages (chromium, libkrb5-dev, ripgrep, a CJK font) and
# code-server installed offline into .tools/code-server/ (see /work/shared/recipes/vscode-offline.md).
# Idempotent: a version marker makes a second run return at once.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# fonts-wqy-zenhei: Chinese text in screenshots instead of empty boxes.
APT_PACKAGES=(chromium libkrb5-dev ripgrep fonts-wqy-zenhei)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
DEST="$TOOLS/code-server"
MARKER="$DEST/.installed-code-server-$CODE_SERVER_VERSION"

log() { echo "[setup-test-env] $*"; }

# --- (a) Debian packages ---------------------------------------------------------------------
missing_packages() {
  local pkg missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  # Installing code-server rebuilds native modules: that needs a toolchain (CI images usually have one, minimal ones may not).
  if [[ ! -f "$MARKER" ]]; then
    command -v make >/dev/null && command -v g++ >/dev/null || missing+=(build-essential)
    command -v python3 >/dev/null || missing+=(python3)
  fi
  echo "${missing[@]:-}"
}

missing="$(missing_packages)"
if [[ -n "$missing" ]]; then
  if [[ "$(id -u)" -eq 0 ]]; then
    log "installing Debian packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q $missing
  else
    echo "[setup-test-env] missing Debian packages: $missing" >&2
    echo "[setup-test-env] install them with: sudo apt-get install -y $missing" >&2
    exit 1
  fi
fi

# --- (b) code-server ---------------------------------------------------------------------------
if [[ -f "$MARKER" && -f "$DEST/node_modules/code-server/out/node/entry.js" ]]; then
  log "code-server $CODE_SERVER_VERSION already installed in .tools/code-server"
  exit 0
fi

mkdir -p "$TOOLS"
# Two test runs starting at once must not install twice into the same folder.
exec 9>"$TOOLS/.code-server.lock"
if ! flock -n 9; then
  log "waiting for another setup run to finish"
  flock 9
fi
if [[ -f "$MARKER" ]]; then
  log "code-server $CODE_SERVER_VERSION installed by a concurrent run"
  exit 0
fi

# Build in a staging folder and rename at the end, so an interrupted run leaves nothing half-done.
STAGE="$TOOLS/code-server.staging"
rm -rf "$STAGE"
mkdir -p "$STAGE"
start=$SECONDS
# Own package.json: otherwise npm would walk up and install into the extension's package.json.
cat >"$STAGE/package.json" <<EOF
{ "name": "transformer-inspector-test-tools", "private": true, "description": "code-server for integration tests" }
EOF

export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
unset npm_config_local_prefix # set when run under `npm run`; the installs below belong to the staging folder
# node-gyp must use the installed Node headers: downloading them from nodejs.org fails offline.
if [[ -z "${npm_config_nodedir:-}" ]]; then
  node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  if [[ -f "$node_prefix/include/node/node.h" ]]; then export npm_config_nodedir="$node_prefix"; fi
fi

log "1/5 npm install --ignore-scripts code-server@$CODE_SERVER_VERSION"
(cd "$STAGE" && npm install --no-save --ignore-scripts --loglevel=error "code-server@$CODE_SERVER_VERSION")

VSCODE_LIB="$STAGE/node_modules/code-server/lib/vscode"
log "2/5 VS Code server dependencies (lib/vscode)"
(cd "$VSCODE_LIB" && npm install --omit=dev --ignore-scripts --loglevel=error)
# @vscode/ripgrep would download rg from GitHub; use Debian's.
mkdir -p "$VSCODE_LIB/node_modules/@vscode/ripgrep/bin"
ln -sf /usr/bin/rg "$VSCODE_LIB/node_modules/@vscode/ripgrep/bin/rg"

log "3/5 native modules (node-pty, @vscode/spdlog, kerberos, native-watchdog)"
(cd "$VSCODE_LIB" && npm rebuild --loglevel=error node-pty @vscode/spdlog kerberos native-watchdog)
(cd "$VSCODE_LIB" && ln -sfn node_modules node_modules.asar)

log "4/5 built-in extensions' dependencies (lib/vscode/extensions)"
(cd "$VSCODE_LIB/extensions" && npm install --omit=dev --ignore-scripts --loglevel=error)

log "5/5 argon2 (its prebuilt download fails offline, so it builds from source)"
if ! (cd "$STAGE/node_modules/argon2" && npx --yes node-pre-gyp install --fallback-to-build --loglevel=error) >"$TOOLS/argon2-build.log" 2>&1; then
  cat "$TOOLS/argon2-build.log" >&2
  exit 1
fi

# Prove it runs before declaring it installed (own --config so nothing is written to ~/.config).
touch "$STAGE/config.yaml"
version="$(node "$STAGE/node_modules/code-server/out/node/entry.js" --config "$STAGE/config.yaml" --version 2>&1 |
  grep -m1 "^$CODE_SERVER_VERSION" || true)"
if [[ -z "$version" ]]; then
  echo "[setup-test-env] code-server --version did not report $CODE_SERVER_VERSION" >&2
  exit 1
fi
echo "$version" >"$STAGE/.installed-code-server-$CODE_SERVER_VERSION"

rm -rf "$DEST"
mv "$STAGE" "$DEST"
log "code-server $version installed in .tools/code-server ($((SECONDS - start))s)"
