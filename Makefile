# Two commands matter (README): `make localnet` and `make test`. Both install what is missing
# (npm packages, the pinned CometBFT and geth) and are idempotent.
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.package-lock.json
VALIDATORS ?= 4
LOCALNET_DIR ?= .localnet
JEST_ARGS ?=

.PHONY: all deps cometbft geth chromium prom2json build localnet test typecheck bench clean

all: build

# Install only when the lock file is newer than what is installed. `npm install` rather than `npm ci`:
# npm 11 writes lock files without the other platforms' optional packages (anvil's, jest's resolver
# bindings), and `npm ci` then refuses them as out of sync; `npm install` follows the lock as is.
$(NODE_MODULES_STAMP): package-lock.json
	@command -v node >/dev/null || { echo "error: Node.js is not installed; install Node 20 or newer and re-run" >&2; exit 1; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "error: Node $$(node --version) is too old; install Node 20 or newer and re-run" >&2; exit 1; }
	npm install --no-fund --no-audit
	@touch $(NODE_MODULES_STAMP)

cometbft:
	@./scripts/ensure-cometbft.sh

# go-ethereum's geth: the L2 execution client every validator drives over the Engine API (docs/l2.md).
geth:
	@./scripts/ensure-geth.sh

# Debian's chromium for the dashboard's browser tests (playwright-core drives it): installed with
# apt-get when missing and we are root; otherwise a note says why and the tests say what to do.
chromium:
	@./scripts/ensure-chromium.sh

# Prometheus's prom2json: the metrics tests parse every /metrics endpoint with it.
prom2json:
	@./scripts/ensure-prom2json.sh

deps: $(NODE_MODULES_STAMP) cometbft geth

build: deps
	npm run --silent build

localnet: build
	node bin/seqpool.js localnet up --validators $(VALIDATORS) --dir $(LOCALNET_DIR)

test: build prom2json chromium
	npm test -- $(JEST_ARGS)

typecheck: deps
	npm run --silent typecheck

bench: build
	npm run bench:consensus

clean:
	rm -rf dist $(LOCALNET_DIR)
