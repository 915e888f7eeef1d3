#!/usr/bin/env node
// The `ballast` command. Runs the TypeScript sources directly through tsx's CommonJS hook.
"use strict";
require("tsx/cjs");
require("../src/cli/main.ts")
  .main(process.argv)
  .catch((err) => {
    process.stderr.write(`ballast: ${err?.message ? err.message : String(err)}\n`);
    process.exit(1);
  });
