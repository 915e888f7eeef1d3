/**
 * npm run bench:venue — can the simulator keep up? Measures, on this machine:
 *   - WebSocket market-channel messages per second delivered to one subscriber (target ≥ 2,000),
 *   - order requests per second from the real client, with latency percentiles (target ≥ 500).
 * The load runs in child processes (bench/venue-load.ts). Prints the figures and keeps the last
 * result in bench/venue.last.json.
 */
import { type ChildProcess, fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startVenue } from "../src/venue/server/app";

const LOAD = path.join(__dirname, "venue-load.ts");
const WS_SECONDS = 5;
const ORDERS = 3_000;
const CONCURRENCY = 32;

function child(args: string[]): {
  proc: ChildProcess;
  next: () => Promise<Record<string, number | boolean>>;
} {
  const proc = fork(LOAD, args, { execArgv: ["--require", "tsx/cjs"], stdio: "inherit" });
  const queue: Record<string, number | boolean>[] = [];
  let waiting: ((m: Record<string, number | boolean>) => void) | undefined;
  proc.on("message", (m) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(m as Record<string, number | boolean>);
    } else queue.push(m as Record<string, number | boolean>);
  });
  const next = () =>
    new Promise<Record<string, number | boolean>>((resolve, reject) => {
      const queued = queue.shift();
      if (queued) return resolve(queued);
      waiting = resolve;
      proc.once("exit", (code) => code !== 0 && reject(new Error(`load process exited with ${code}`)));
    });
  return { proc, next };
}

async function main() {
  const venue = await startVenue({ port: 0, seed: 1 });
  const engine = venue.simulation.engine;
  const markets = venue.simulation.markets();
  const tokens = markets.flatMap((m) => [...m.tokenIds]);
  const open = markets.find((m) => engine.marketStatus(m.conditionId) === "open") ?? markets[0];
  if (!open) throw new Error("no market listed");
  console.log(`venue bench: ${markets.length} markets listed, seed 1, ${os.cpus().length} cores`);

  // 1. WebSocket fan-out: churn resting levels far from the touch while a subscriber counts frames.
  const sub = child(["subscribe", venue.urls.wsMarket, String(WS_SECONDS), tokens.join(",")]);
  await sub.next();
  const churner = "0x00000000000000000000000000000000000b0b";
  engine.credit(churner, 1_000_000_000_000);
  let stop = false;
  let ops = 0;
  const churn = async () => {
    let i = 0;
    while (!stop) {
      for (let k = 0; k < 100; k++, i++) {
        const id = `0xbench${i}`;
        const token = tokens[i % tokens.length] as string;
        engine.submit(
          {
            id,
            owner: "bench",
            account: churner,
            tokenId: token,
            side: "BUY",
            price: 10_000 + (i % 5) * 10_000,
            size: 5_000_000,
            type: "GTC",
            postOnly: true,
            expiresAtMs: 0,
          },
          Date.now(),
        );
        engine.cancel("bench", [id], Date.now());
        ops += 2;
      }
      await new Promise((r) => setImmediate(r));
    }
  };
  const churning = churn();
  const ws = await sub.next();
  stop = true;
  await churning;
  const wsPerSec = Number(ws.frames) / Number(ws.seconds);
  console.log(
    `  WebSocket: ${Math.round(wsPerSec).toLocaleString("en")} messages/s to one subscriber (${ops.toLocaleString("en")} book operations in ${WS_SECONDS} s; target ≥ 2,000)`,
  );

  // 2. Order requests from the real client, pre-signed, 32 in flight.
  const load = child(["orders", venue.urls.clob, String(ORDERS), String(CONCURRENCY), open.tokenIds[0]]);
  const orders = await load.next();
  const ordersPerSec = Number(orders.count) / Number(orders.seconds);
  console.log(
    `  Orders:    ${Math.round(ordersPerSec).toLocaleString("en")} requests/s (p50 ${Number(orders.p50Ms).toFixed(1)} ms, p99 ${Number(orders.p99Ms).toFixed(1)} ms, ${orders.failed} failed of ${orders.count}; target ≥ 500)`,
  );
  await venue.close();

  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    wsMessagesPerSecond: Math.round(wsPerSec),
    orderRequestsPerSecond: Math.round(ordersPerSec),
    orderLatencyMs: { p50: orders.p50Ms, p99: orders.p99Ms },
    ordersFailed: orders.failed,
    targets: { wsMessagesPerSecond: 2_000, orderRequestsPerSecond: 500 },
    met: wsPerSec >= 2_000 && ordersPerSec >= 500,
  };
  writeFileSync(path.join(__dirname, "venue.last.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`  ${result.met ? "both targets met" : "TARGET MISSED"}; saved bench/venue.last.json`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
