/**
 * The workflow worker: hosts every workflow and the short activities (exchange, database, market
 * data) on the main task queue. Dependencies are built here and injected into the activity
 * factories.
 */
import { NativeConnection, Worker } from "@temporalio/worker";
import { createDatabaseActivities } from "../activities/database";
import { createExchangeActivities } from "../activities/exchange/activities";
import { createMarketDataActivities } from "../activities/market-data";
import type { Config } from "../src/config/schema";
import { openDatabase } from "../src/db/database";
import type { Logger } from "../src/log";
import { createExchange, type Exchange } from "../src/polymarket/exchange";
import { workflowBundlePath } from "../src/temporal/bundle";
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
    workflowBundle: { codePath: await workflowBundlePath() },
    activities: {
      ...createDatabaseActivities({ pool: db.pool }),
      ...createExchangeActivities({ exchange }),
      ...createMarketDataActivities({ gammaUrl: config.venue.gammaUrl, exchange }),
    },
  });
  logger.info({ taskQueue: config.temporal.taskQueue, database: db.kind }, "workflow worker running");
  return runWorkerUntilStopped(worker, [connection, db]);
}
