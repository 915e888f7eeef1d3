/**
 * The workflow worker: hosts every workflow and the short activities (exchange, database, market
 * data) on the main task queue. Dependencies are built here and injected into the activity
 * factories.
 */
import { NativeConnection, Worker, type WorkerOptions } from "@temporalio/worker";
import { createDatabaseActivities } from "../activities/database";
import { createExchangeActivities } from "../activities/exchange/activities";
import { createMarketDataActivities } from "../activities/market-data";
import type { Config } from "../src/config/schema";
import { openDatabase } from "../src/db/database";
import type { Logger } from "../src/log";
import { createExchange, type Exchange } from "../src/polymarket/exchange";
import { ballastWorkerCode } from "../src/temporal/bundle";
import { type RunningWorker, runWorkerUntilStopped } from "./shutdown";

export function lazyExchange(config: Config, privateKey: string): () => Promise<Exchange> {
  let exchange: Promise<Exchange> | undefined;
  return () => {
    exchange ??= createExchange({
      clobUrl: config.venue.clobUrl,
      chainId: config.venue.chainId,
      privateKey,
    }).catch((err) => {
      exchange = undefined;
      throw err;
    });
    return exchange;
  };
}

/**
 * Worker versioning (docs/deploying.md). With TEMPORAL_DEPLOYMENT_NAME and TEMPORAL_BUILD_ID set, the
 * worker polls as that Worker Deployment Version and gets only the tasks Temporal routes to it: new
 * workflows once the version is made current, and the runs pinned to it. Each workflow type's versioning
 * behaviour is annotated in workflows/versioning.ts; the default here, AUTO_UPGRADE (how unversioned runs
 * behave), applies only to runs begun by an unversioned worker before versioning was turned on. Both
 * unset (the default, `npm start`, the tests): an unversioned worker, as before.
 */
export function versioningOptions(
  temporal: Config["temporal"],
): Pick<WorkerOptions, "workerDeploymentOptions"> {
  const { deploymentName, buildId } = temporal;
  if (deploymentName === undefined && buildId === undefined) return {};
  if (deploymentName === undefined || buildId === undefined)
    throw new Error(
      "worker versioning needs both TEMPORAL_DEPLOYMENT_NAME and TEMPORAL_BUILD_ID (or neither, unversioned)",
    );
  return {
    workerDeploymentOptions: {
      version: { deploymentName, buildId },
      useWorkerVersioning: true,
      defaultVersioningBehavior: "AUTO_UPGRADE",
    },
  };
}

export async function startWorkflowWorker(
  config: Config,
  privateKey: string,
  logger: Logger,
): Promise<RunningWorker> {
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, logger });
  const exchange = lazyExchange(config, privateKey);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    // The workflow bundle and the data converter, both with Ballast's payload converter (money as decimals).
    ...(await ballastWorkerCode()),
    ...versioningOptions(config.temporal),
    activities: {
      ...createDatabaseActivities({ pool: db.pool }),
      ...createExchangeActivities({ exchange }),
      ...createMarketDataActivities({ gammaUrl: config.venue.gammaUrl, exchange }),
    },
  });
  logger.info(
    { taskQueue: config.temporal.taskQueue, database: db.kind, buildId: config.temporal.buildId },
    "workflow worker running",
  );
  return runWorkerUntilStopped(worker, [connection, db]);
}
