/**
 * The schedulers: one long-running workflow per configured asset that starts each window's session.
 */
import { WorkflowIdConflictPolicy } from "@temporalio/common";
import type { Config } from "../config/schema";
import type { Logger } from "../log";
import { workflowIds } from "../session/messages";
import { sessionParams } from "../session/params";
import { connectClient } from "../temporal/client";

export async function ensureSchedulers(config: Config, logger: Logger): Promise<string[]> {
  const { client, close } = await connectClient(config);
  try {
    const ids: string[] = [];
    for (const asset of config.venue.assets) {
      const workflowId = workflowIds.scheduler(asset);
      await client.workflow.start("scheduler", {
        workflowId,
        taskQueue: config.temporal.taskQueue,
        args: [{ asset, windowMs: config.venue.windowMs, params: sessionParams(config) }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
      ids.push(workflowId);
    }
    logger.info({ schedulers: ids }, "schedulers running");
    return ids;
  } finally {
    await close();
  }
}
