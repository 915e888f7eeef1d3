/**
 * Replays recorded workflow histories (Temporal CLI JSON exports) against today's workflow code and
 * fails on any non-determinism. `npm run replay [files…]` (default: tests/fixtures/histories/*.json).
 * Run it before deploying workflow changes: code that has run changes only behind `patched()`.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Runtime, Worker } from "@temporalio/worker";
import { ballastWorkerCode } from "../src/temporal/bundle";

const QUIET = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function main() {
  const args = process.argv.slice(2);
  const dir = path.join(__dirname, "..", "tests", "fixtures", "histories");
  const files =
    args.length > 0
      ? args
      : readdirSync(dir)
          .filter((f) => f.endsWith(".json"))
          .map((f) => path.join(dir, f));
  Runtime.install({ logger: QUIET as never });
  // The workers' code: the bundle and data converter with Ballast's payload converter.
  const code = await ballastWorkerCode();
  let failed = 0;
  for (const file of files) {
    const history = JSON.parse(readFileSync(file, "utf8"));
    const name = path.basename(file);
    try {
      await Worker.runReplayHistory(code, history, `replay-${name}`);
      process.stdout.write(`replayed ${name}: ${history.events.length} events, deterministic\n`);
    } catch (err) {
      failed += 1;
      process.stdout.write(`FAILED ${name}: ${(err as Error).message}\n`);
    }
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`${err}\n`);
  process.exit(1);
});
