#!/usr/bin/env bash
# Builds the pinned CometBFT and abci-cli into .bin/ with `go install`, only when missing or of
# another version. The version lives in ../cometbft.version and nowhere else (DESIGN.md decision 1:
# never @latest, which resolves to v1.x with wire-incompatible ABCI protos).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
want="$(tr -d '[:space:]' < "$root/cometbft.version")"
bin="$root/.bin"
. "$root/scripts/require-go.sh"

# The module version a binary was built from, read from its embedded build info.
built_version() {
  [ -x "$1" ] || return 0
  go version -m "$1" 2>/dev/null | awk '$1=="mod" && $2=="github.com/cometbft/cometbft" {print $3}'
}

need=()
[ "$(built_version "$bin/cometbft")" = "$want" ] || need+=("github.com/cometbft/cometbft/cmd/cometbft@$want")
[ "$(built_version "$bin/abci-cli")" = "$want" ] || need+=("github.com/cometbft/cometbft/abci/cmd/abci-cli@$want")
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
mkdir -p "$bin"
echo "building CometBFT $want into .bin/ (go install, about a minute the first time)..." >&2
GOBIN="$bin" go install "${need[@]}"
echo "CometBFT $("$bin/cometbft" version) ready in .bin/" >&2
