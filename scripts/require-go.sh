# Sourced by the scripts that build a pinned Go tool with `go install` (ensure-cometbft.sh,
# ensure-geth.sh, ensure-prom2json.sh): stops with what to do when Go is missing or older than 1.22.
min_go="1.22"
if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is not installed; install Go ${min_go} or newer (https://go.dev/doc/install) and re-run" >&2
  exit 1
fi
have_go="$(go env GOVERSION | sed 's/^go//')"
if [ "$(printf '%s\n%s\n' "$min_go" "$have_go" | sort -V | head -n1)" != "$min_go" ]; then
  echo "error: Go $have_go is too old; install Go ${min_go} or newer (https://go.dev/doc/install) and re-run" >&2
  exit 1
fi
