/**
 * The workflow bundle (webpack of workflows/index.ts), built once and cached on disk keyed by a
 * hash of every source it can import, so workers and tests don't each pay for bundling.
 *
 * Ballast's payload converter (src/temporal/payload-converter.ts: money as decimal text in every
 * payload) lives in two places that must agree: inside the bundle (what the workflows read and write)
 * and in the worker's `dataConverter` (what its activities read and write). `ballastWorkerCode()` gives
 * both; clients take `BALLAST_DATA_CONVERTER` (src/temporal/data-converter.ts). `workflowBundlePath()` without options is the bundle with
 * the SDK's default converter, for workers created without a `dataConverter` (the workflow tests).
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
import { BALLAST_DATA_CONVERTER, PAYLOAD_CONVERTER_PATH } from "./data-converter";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** A worker's workflow code and data converter, Ballast's payload converter in both. */
export async function ballastWorkerCode(): Promise<{
  workflowBundle: { codePath: string };
  dataConverter: typeof BALLAST_DATA_CONVERTER;
}> {
  return {
    workflowBundle: { codePath: await workflowBundlePath({ payloadConverter: true }) },
    dataConverter: BALLAST_DATA_CONVERTER,
  };
}

export async function workflowBundlePath(options: { payloadConverter?: boolean } = {}): Promise<string> {
  const converter = options.payloadConverter === true;
  const files = [
    ...sourceFiles(path.join(PROJECT_ROOT, "workflows")),
    ...sourceFiles(path.join(PROJECT_ROOT, "src")),
  ].sort();
  const hash = createHash("sha256");
  for (const f of files) hash.update(f).update(readFileSync(f));
  const cacheDir = path.join(PROJECT_ROOT, "node_modules", ".cache", "ballast");
  const name = `workflow-bundle-${hash.digest("hex").slice(0, 16)}${converter ? "-ballast-converter" : ""}.js`;
  const codePath = path.join(cacheDir, name);
  if (!existsSync(codePath)) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(PROJECT_ROOT, "workflows", "index.ts"),
      ...(converter ? { payloadConverterPath: PAYLOAD_CONVERTER_PATH } : {}),
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
