#!/usr/bin/env node
// The `switchboard` command: runs the compiled CLI (built by `npm run build`, which `npm
// install` runs through `prepare`).
import "../dist/src/cli/main.js";
