/**
 * How a worker process stops, in one place for both workers (./workflow-worker.ts, ./streaming-worker.ts)
 * and their entry points (`ballast worker`, `ballast streamer`, src/cli/workers.ts):
 *
 *   SIGINT/SIGTERM, the worker's own end, or (under `ballast start`) the parent's end
 *     → worker.shutdown() (Temporal drains the tasks in flight)
 *     → the worker's connections (Temporal, database) closed, in the order given.
 */
import type { Worker } from "@temporalio/worker";

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error) and its connections closed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Runs `worker`; once it stops, however it stops, closes each of `connections` in turn (a failure to close
 * one does not keep the others open).
 */
export function runWorkerUntilStopped(
  worker: Worker,
  connections: readonly { close(): Promise<unknown> }[],
): RunningWorker {
  const done = worker.run().finally(async () => {
    for (const connection of connections) await connection.close().catch(() => undefined);
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

/** Stops on SIGINT/SIGTERM: returns a promise that resolves on the first of them. */
function untilSignalled(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (sig: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(sig);
    };
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}

/**
 * A worker started by `ballast start` has an IPC channel to it: when that closes, the parent is gone
 * (killed, even with SIGKILL), and the worker stops rather than run on as an orphan. Undefined when
 * there is no such channel.
 */
function untilParentGone(): Promise<string> | undefined {
  if (!process.send) return undefined;
  // The channel alone must not keep this process alive.
  process.channel?.unref();
  return new Promise((resolve) => {
    if (!process.connected) return resolve("parent gone");
    process.once("disconnect", () => resolve("parent gone"));
  });
}

/** The entry points' part: runs a worker until a signal, its end, or (under `ballast start`) its parent's end. */
export async function runWorkerProcess(worker: Pick<RunningWorker, "done" | "shutdown">): Promise<void> {
  const parentGone = untilParentGone();
  const why = await Promise.race([
    untilSignalled(),
    worker.done.then(() => "done"),
    ...(parentGone ? [parentGone] : []),
  ]);
  // Orphaned: drain if Temporal lets it, but do not linger.
  if (why === "parent gone") setTimeout(() => process.exit(1), 10_000).unref();
  await worker.shutdown();
}
