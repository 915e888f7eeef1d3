/**
 * The streaming worker: hosts the long-running, heartbeating market-feed activities on their own
 * task queue. Each feed signals its session workflow through a Temporal client. The process's market data
 * (one WebSocket connection per market, its books and our orders and fills) is one MarketDataHub that
 * every activity of the worker reads (src/streaming/market-data.ts).
 */
import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { Wallet } from "ethers";
import {
  createStreamingActivities,
  queryThrough,
  signalThrough,
  updateThrough,
} from "../activities/streaming/market-feed";
import type { Config } from "../src/config/schema";
import type { Logger } from "../src/log";
import { countedSignals } from "../src/metrics/record";
import { obtainApiCredentials } from "../src/polymarket/credentials";
import { MarketDataHub } from "../src/streaming/market-data";
import { BALLAST_DATA_CONVERTER } from "../src/temporal/data-converter";
import { type RunningWorker, runWorkerUntilStopped } from "./shutdown";
import { lazyExchange, versioningOptions } from "./workflow-worker";

export async function startStreamingWorker(
  config: Config,
  privateKey: string,
  logger: Logger,
): Promise<RunningWorker> {
  const exchange = lazyExchange(config, privateKey);
  const wallet = new Wallet(privateKey);
  const apiCreds = await obtainApiCredentials(
    { clobUrl: config.venue.clobUrl, chainId: config.venue.chainId, privateKey },
    wallet,
    {},
  );
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
    dataConverter: BALLAST_DATA_CONVERTER,
  });
  // One per process: activities reading the same market share its connections.
  const marketData = new MarketDataHub({
    wsUrl: config.venue.wsUrl,
    apiCreds,
    logger: logger.child({ component: "market-data" }),
  });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.streamingTaskQueue,
    // Ballast's payload converter (money as decimals), as the workflow worker and every client use.
    dataConverter: BALLAST_DATA_CONVERTER,
    // Same deployment version as the workflow worker: Temporal sends a pinned run's feed activities to the
    // streaming workers of its own build (docs/deploying.md).
    ...versioningOptions(config.temporal),
    activities: createStreamingActivities({
      marketData,
      wsUrl: config.venue.wsUrl,
      exchangeFor: exchange,
      apiCreds,
      // Counted per signal and asset (ballast_signals_sent_total, src/metrics).
      signal: countedSignals(signalThrough(client)),
      update: updateThrough(client),
      query: queryThrough(client),
      logger: logger.child({ component: "market-feed" }),
    }),
    // Feeds run for a whole window: room for every market of every asset at once.
    maxConcurrentActivityTaskExecutions: 64,
  });
  logger.info(
    { taskQueue: config.temporal.streamingTaskQueue, buildId: config.temporal.buildId },
    "streaming worker running",
  );
  return runWorkerUntilStopped(worker, [connection, clientConnection]);
}
