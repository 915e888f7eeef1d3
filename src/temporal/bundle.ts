/**
 * The workflow bundle (webpack of workflows/index.ts), built once and cached on disk keyed by a
 * hash of every source it can import, so workers and tests don't each pay for bundling.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { bundleWorkflowCode } from "@temporalio/worker";
import { PROJECT_ROOT } from "./binaries";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

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
      logger: silent as never,
    });
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${codePath}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    // Atomic: concurrent builders (several workers starting at once) never read half a file.
    renameSync(tmp, codePath);
  }
  return codePath;
}
