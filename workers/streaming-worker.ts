/**
 * The streaming worker: hosts the long-running, heartbeating market-feed activities on their own
 * task queue. Each feed signals its session workflow through a Temporal client.
 */
import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { Wallet } from "ethers";
import { obtainApiCredentials } from "../activities/exchange/exchange";
import { createStreamingActivities, signalThrough } from "../activities/streaming/market-feed";
import type { Config } from "../src/config/schema";
import type { Logger } from "../src/log";
import type { RunningWorker } from "./workflow-worker";
import { lazyExchange } from "./workflow-worker";

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
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.streamingTaskQueue,
    activities: createStreamingActivities({
      wsUrl: config.venue.wsUrl,
      exchangeFor: exchange,
      apiCreds,
      signal: signalThrough(client),
      logger: logger.child({ component: "market-feed" }),
    }),
    // Feeds run for a whole window: room for every market of every asset at once.
    maxConcurrentActivityTaskExecutions: 64,
  });
  logger.info({ taskQueue: config.temporal.streamingTaskQueue }, "streaming worker running");
  const done = worker.run().finally(async () => {
    await connection.close().catch(() => undefined);
    await clientConnection.close().catch(() => undefined);
  });
  return {
    worker,
    done,
    async shutdown() {
      // The SDK also starts draining by itself on SIGINT/SIGTERM.
      if (worker.getState() === "RUNNING") worker.shutdown();
      await done;
    },
  };
}
