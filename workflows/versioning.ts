/**
 * Each workflow type's versioning behaviour, for versioned workers (docs/deploying.md):
 *
 * - PINNED: a run stays on the deployment version it started on, to its end. For the runs that end by
 *   themselves within a market window plus its resolution (position; session, with its continue-as-new
 *   runs; feed) and the one-off system check: a new build never replays them, the old workers drain them.
 * - AUTO_UPGRADE: a run moves to the current version at its next workflow task. For the runs that never
 *   end (scheduler, control: continue-as-new for ever), which would otherwise keep old workers alive for
 *   ever. A new build replays their current run, so any change to their code goes behind patched().
 */
import type { VersioningBehavior } from "@temporalio/common";
import { setWorkflowOptions, workflowInfo } from "@temporalio/workflow";

export const VERSIONING_BEHAVIORS = {
  position: "PINNED",
  marketSession: "PINNED",
  marketFeed: "PINNED",
  systemCheck: "PINNED",
  scheduler: "AUTO_UPGRADE",
  control: "AUTO_UPGRADE",
} as const satisfies Record<string, VersioningBehavior>;

type WorkflowType = keyof typeof VERSIONING_BEHAVIORS;

/**
 * Annotates each workflow function (keyed by its type, i.e. its exported name) with its behaviour, on
 * versioned workers only: Temporal refuses a workflow task completion that carries a behaviour from an
 * unversioned worker ("versioning behavior cannot be specified without deployment options being set
 * with versioned mode"), and `npm start` and the tests run unversioned. The getter runs once when a
 * worker first loads a run; the deployment version it reads is the one recorded for the run's first
 * workflow task (so it is the same on replay). A run begun by an unversioned worker gets the versioned
 * worker's default behaviour instead (AUTO_UPGRADE, workers/workflow-worker.ts).
 */
export function annotateVersioning(
  workflows: Record<WorkflowType, (...args: never[]) => Promise<unknown>>,
): void {
  for (const type of Object.keys(VERSIONING_BEHAVIORS) as WorkflowType[]) {
    const versioningBehavior: VersioningBehavior = VERSIONING_BEHAVIORS[type];
    setWorkflowOptions(
      () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {}),
      workflows[type],
    );
  }
}
