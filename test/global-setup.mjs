// jest globalSetup: marks this run so that test/ports.ts can keep one port cursor per worker for the
// whole run, and so that global-teardown.mjs can find any process a test started and left behind
// (children inherit the environment, so the marker reaches anvil, cometbft, nodes and sidecars).
export default function globalSetup() {
  process.env.SEQPOOL_JEST_RUN = `run${Date.now().toString(36)}p${process.pid}`;
}
