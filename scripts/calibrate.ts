/**
 * `npm run calibrate [-- --windows 20 --seed 1]`: how far the venue simulator's books are from the
 * real venue's. Reads the shared BTC 15-minute data (../shared/data/polymarket-btc15m, see its
 * SOURCES.md), runs the simulator for N windows in simulated time, computes the same statistics
 * over both (src/venue/calibration/statistics.ts) and prints them side by side; the whole result
 * goes to bench/calibrate.last.json. A data line that cannot be read stops it with one line naming
 * the file and line (exit 1).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { formatTable } from "../src/cli/table";
import { CalibrationDataError, loadMarketData, marketDataFiles } from "../src/venue/calibration/data";
import { CALIBRATION_COLUMNS, calibrationRows } from "../src/venue/calibration/report";
import { simulateWindows } from "../src/venue/calibration/simulated";
import { computeStatistics } from "../src/venue/calibration/statistics";

function wholeNumber(min: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
    return n;
  };
}

const DEFAULT_DATA = path.resolve(__dirname, "..", "..", "shared", "data", "polymarket-btc15m");
const DEFAULT_OUT = path.resolve(__dirname, "..", "bench", "calibrate.last.json");

interface Options {
  windows: number;
  seed: number;
  stepMs: number;
  data: string;
  out: string;
}

function main(): void {
  const opts = new Command()
    .name("calibrate")
    .description("Statistics of the real venue's books (shared data) beside the simulator's")
    .option("--windows <n>", "simulated 15-minute BTC windows", wholeNumber(1), 20)
    .option("--seed <n>", "simulator seed", wholeNumber(0), 1)
    .option("--step-ms <ms>", "simulation step (books are read once a second)", wholeNumber(1), 100)
    .option("--data <dir>", "directory of market_data_*.csv", DEFAULT_DATA)
    .option("--out <file>", "where the result is written", DEFAULT_OUT)
    .parse()
    .opts<Options>();

  const files = marketDataFiles(opts.data);
  if (files.length === 0) throw new Error(`no market_data_*.csv in ${opts.data}`);
  const data = loadMarketData(files);
  const dataStats = computeStatistics(data.windows);
  process.stdout.write(
    `data: ${files.map((f) => path.basename(f)).join(", ")}: ${data.rows} rows, ${data.windows.length} whole windows ` +
      `(${data.skipped.windows} partial windows skipped, ${data.skipped.rows} rows: ${data.skipped.ids.join(", ")})\n`,
  );

  const run = simulateWindows({ seed: opts.seed, windows: opts.windows, stepMs: opts.stepMs });
  const simStats = computeStatistics(run.windows);
  process.stdout.write(
    `simulator: BTC, 15m windows, default model, seed ${opts.seed}, ${opts.windows} windows, ` +
      `step ${run.stepMs} ms, read every ${run.sampleMs} ms: ${(run.elapsedMs / 1000).toFixed(1)} s, ` +
      `${run.windowsPerSecond.toFixed(2)} windows/s\n\n`,
  );

  const rows = calibrationRows(dataStats, simStats);
  process.stdout.write(`${formatTable(CALIBRATION_COLUMNS, rows)}\n`);

  const result = {
    at: new Date().toISOString(),
    data: {
      dir: opts.data,
      files: files.map((f) => path.basename(f)),
      rows: data.rows,
      skipped: data.skipped,
      stats: dataStats,
    },
    simulator: {
      asset: "BTC",
      windowMs: 900_000,
      seed: opts.seed,
      windows: opts.windows,
      stepMs: run.stepMs,
      sampleMs: run.sampleMs,
      steps: run.steps,
      elapsedMs: Math.round(run.elapsedMs),
      windowsPerSecond: Number(run.windowsPerSecond.toFixed(3)),
      stats: simStats,
    },
    table: rows.map(([statistic, dataValue, simulator]) => ({ statistic, data: dataValue, simulator })),
  };
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
  const shown = path.relative(process.cwd(), opts.out);
  process.stdout.write(`\nsaved ${shown.startsWith("..") ? opts.out : shown}\n`);
}

try {
  main();
} catch (err) {
  if (err instanceof CalibrationDataError) process.stderr.write(`calibrate: bad data: ${err.message}\n`);
  else process.stderr.write(`calibrate: ${(err as Error).message ?? err}\n`);
  process.exit(1);
}
