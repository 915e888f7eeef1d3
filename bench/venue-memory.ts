/**
 * What the venue simulator holds over many windows, and how long a restart takes to replay its journal.
 *
 *   node --expose-gc --require tsx/cjs bench/venue-memory.ts
 *
 * 1. Runs the simulation (4 assets, 2-minute windows, 100 ms steps, the default market model, our own
 *    key trading a little every 5 s) for WINDOWS windows and prints, every 10 windows, the heap used
 *    (after a full GC when --expose-gc is given), the engine's retained orders, trades and markets, and
 *    the price paths' steps in memory. Bounded means: flat after the first windows.
 * 2. Runs a venue with a journal for REPLAY_MINUTES simulated minutes (4 assets, 15-minute windows) and
 *    times a second venue's start on the same data directory (the replay).
 * Prints the figures and keeps them in bench/venue-memory.last.json.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startVenue } from "../src/venue/server/app";
import { JOURNAL_FILE } from "../src/venue/server/journal";
import { Simulation } from "../src/venue/simulation";
import type { Asset } from "../src/venue/types";

const T0 = Date.UTC(2026, 0, 1);
const ASSETS: Asset[] = ["BTC", "ETH", "SOL", "XRP"];
const WINDOW_MS = 120_000;
const WINDOWS = 60;
const REPLAY_MINUTES = 30;
const TRADER = "0x00000000000000000000000000000000000000aa";

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
};

function memory() {
  const sim = new Simulation({ seed: 1, assets: ASSETS, windowMs: WINDOW_MS });
  sim.engine.credit(TRADER, 1_000_000_000_000);
  const rows: Record<string, number>[] = [];
  const started = Date.now();
  let n = 0;
  for (let w = 0; w < WINDOWS; w++) {
    for (let t = T0 + w * WINDOW_MS; t < T0 + (w + 1) * WINDOW_MS; t += 100) {
      sim.tick(t);
      if ((t - T0) % 5_000 !== 0) continue;
      const m = sim.markets().find((x) => x.startMs <= t && t < x.endMs);
      const ask = m && sim.engine.bestAsk(m.tokenIds[0]);
      if (!m || !ask) continue;
      sim.engine.submit(
        {
          id: `0x${(++n).toString(16).padStart(64, "0")}`,
          owner: "our-key",
          account: TRADER,
          tokenId: m.tokenIds[0],
          side: "BUY",
          price: ask.price,
          size: 5_000_000,
          type: "FAK",
          postOnly: false,
          expiresAtMs: 0,
        },
        t,
      );
    }
    if ((w + 1) % 10 === 0 || w === 0) {
      const r = sim.engine.retained();
      const row = {
        window: w + 1,
        heapMb: heapMb(),
        orders: r.orders,
        trades: r.trades,
        markets: r.markets,
        pathSteps: ASSETS.reduce((s, a) => s + sim.model.path(a).retainedSteps, 0),
        seconds: Math.round((Date.now() - started) / 100) / 10,
      };
      rows.push(row);
      console.log(
        `window ${String(row.window).padStart(3)}: heap ${row.heapMb} MB, orders ${row.orders}, trades ${row.trades}, markets ${row.markets}, path steps ${row.pathSteps} (${row.seconds} s)`,
      );
    }
  }
  return rows;
}

async function replay() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ballast-venue-bench-"));
  try {
    let now = T0 + 1_000;
    const clock = () => now;
    const options = { port: 0, seed: 1, assets: ASSETS, autoTick: false, clock, dataDir: dir };
    const a = await startVenue(options);
    for (const end = now + REPLAY_MINUTES * 60_000; now < end; ) {
      now += 100;
      a.tick();
    }
    await a.close();
    const started = Date.now();
    const b = await startVenue(options);
    const ms = Date.now() - started;
    await b.close();
    const result = {
      simulatedMinutes: REPLAY_MINUTES,
      replaySeconds: ms / 1000,
      secondsPerSimulatedHour: Math.round((ms / 1000) * (60 / REPLAY_MINUTES) * 10) / 10,
      journalBytes: statSync(path.join(dir, JOURNAL_FILE)).size,
    };
    console.log(
      `replay: ${REPLAY_MINUTES} simulated minutes in ${result.replaySeconds} s (${result.secondsPerSimulatedHour} s per simulated hour), journal ${result.journalBytes} bytes`,
    );
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (!gc) console.log("(no --expose-gc: heap figures include garbage)");
  const rows = memory();
  const first = rows[1] ?? rows[0]!;
  const last = rows[rows.length - 1]!;
  console.log(
    `heap window ${first.window} → ${last.window}: ${first.heapMb} → ${last.heapMb} MB; orders ${first.orders} → ${last.orders}`,
  );
  const replayed = await replay();
  writeFileSync(
    path.join(__dirname, "venue-memory.last.json"),
    `${JSON.stringify({ at: new Date().toISOString(), cores: os.cpus().length, memory: rows, replay: replayed }, null, 2)}\n`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
