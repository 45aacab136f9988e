#!/usr/bin/env node
// The `seqpool` command: compiled CLI entry (run `make build` or `npm run build` first).
import '../dist/cli/main.js';
