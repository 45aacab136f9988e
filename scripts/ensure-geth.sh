#!/usr/bin/env bash
# Builds the pinned go-ethereum `geth` (the L2 execution client, DESIGN.md decision 13) into .bin/ with
# `go install`, only when missing or of another version. The version lives in ../geth.version and
# nowhere else. About three minutes the first time on a 2-core machine; the Go build cache makes a
# rebuild of the same version fast.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
want="$(tr -d '[:space:]' < "$root/geth.version")"
bin="$root/.bin"
. "$root/scripts/require-go.sh"

# The module version a binary was built from, read from its embedded build info.
built="$( [ -x "$bin/geth" ] && go version -m "$bin/geth" 2>/dev/null | awk '$1=="mod" && $2=="github.com/ethereum/go-ethereum" {print $3}' || true)"
if [ "$built" = "$want" ]; then
  exit 0
fi
mkdir -p "$bin"
echo "building geth $want into .bin/ (go install, about three minutes the first time)..." >&2
GOBIN="$bin" go install "github.com/ethereum/go-ethereum/cmd/geth@$want"
echo "$("$bin/geth" version | head -n 2 | tr '\n' ' ')ready in .bin/" >&2
