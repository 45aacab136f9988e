#!/usr/bin/env bash
# Builds Prometheus's own prom2json into .bin/ with `go install`, only when missing or of another
# version. The metrics tests read every /metrics endpoint through it: it parses the text exposition
# with prometheus/common's expfmt, the parser of the Prometheus ecosystem, and refuses what a
# Prometheus scrape would refuse (the npm parsers we tried merge the series of a labelled histogram).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
want="v1.4.2"
bin="$root/.bin"

. "$root/scripts/require-go.sh"
have="$( [ -x "$bin/prom2json" ] && go version -m "$bin/prom2json" 2>/dev/null | awk '$1=="mod" && $2=="github.com/prometheus/prom2json" {print $3}' || true)"
[ "$have" = "$want" ] && exit 0
mkdir -p "$bin"
echo "building prom2json $want into .bin/ (go install)..." >&2
GOBIN="$bin" go install "github.com/prometheus/prom2json/cmd/prom2json@$want"
