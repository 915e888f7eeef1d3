/**
 * The simulator's side of `npm run calibrate`: the same per-window book observations as the shared
 * data gives (data.ts), read from a {@link Simulation} advanced in simulated time.
 *
 * One asset (BTC), one window length (15 minutes by default), the default model. The simulation is
 * ticked every `stepMs` (100 ms, as `ballast venue` steps it) from the first window's start, with
 * no clock and no sockets: time is a number passed to `tick`. Once a second (`sampleMs`) after the
 * tick at that time, each token's best bid and ask and the summed size of its 5 best levels per
 * side are read from the engine, for the window open then; N whole windows, from `seed`.
 *
 * Pure and deterministic given its options, except `elapsedMs` (measured with the `now` passed in,
 * performance.now by default), which only reports how long the run took.
 */
import { performance } from "node:perf_hooks";
import type { Micros } from "../../money";
import type { MatchingEngine } from "../engine";
import type { ModelConfigInput } from "../model/agents";
import { Simulation } from "../simulation";
import type { Asset, VenueMarket } from "../types";
import type { BookObservation, TokenBook, WindowObservations } from "./statistics";

export interface SimulatedRunOptions {
  seed: number;
  windows: number;
  asset?: Asset;
  /** Window length (default 15 minutes). */
  windowMs?: number;
  /** Simulation step (default 100 ms, the venue's). */
  stepMs?: number;
  /** How often books are read (default 1 s, as the data's rows). */
  sampleMs?: number;
  /** Start of the first window measured: a multiple of windowMs (default 2026-01-01T00:00Z). */
  startMs?: number;
  /** Model settings over the defaults (default none: the default model). */
  model?: ModelConfigInput;
  /** Wall clock for the timing only (default performance.now). */
  now?: () => number;
}

export interface SimulatedRun {
  windows: WindowObservations[];
  seed: number;
  stepMs: number;
  sampleMs: number;
  /** Simulation steps run. */
  steps: number;
  /** Wall time the run took. */
  elapsedMs: number;
  windowsPerSecond: number;
}

export const DEFAULT_SIM_START_MS = Date.UTC(2026, 0, 1);

/** A token's book as the data records it: best prices and the 5 best levels' summed size, null if none. */
export function readBook(engine: MatchingEngine, tokenId: string): TokenBook {
  const side = (s: "BUY" | "SELL"): [Micros | null, Micros | null] => {
    const levels = engine.levels(tokenId, s, 5);
    if (levels.length === 0) return [null, null];
    let depth = 0;
    for (const l of levels) depth += l.size;
    return [(levels[0] as { price: Micros }).price, depth];
  };
  const [bid, bidDepth5] = side("BUY");
  const [ask, askDepth5] = side("SELL");
  return { bid, ask, bidDepth5, askDepth5 };
}

export function simulateWindows(opts: SimulatedRunOptions): SimulatedRun {
  const windowMs = opts.windowMs ?? 900_000;
  const stepMs = opts.stepMs ?? 100;
  const sampleMs = opts.sampleMs ?? 1_000;
  const startMs = opts.startMs ?? DEFAULT_SIM_START_MS;
  const asset = opts.asset ?? "BTC";
  const now = opts.now ?? (() => performance.now());
  if (!Number.isSafeInteger(opts.windows) || opts.windows < 1) throw new RangeError("windows must be ≥ 1");
  if (!Number.isSafeInteger(stepMs) || stepMs <= 0) throw new RangeError("stepMs must be a whole number > 0");
  if (!Number.isSafeInteger(sampleMs) || sampleMs <= 0 || sampleMs % stepMs !== 0)
    throw new RangeError("sampleMs must be a positive multiple of stepMs");
  if (startMs % windowMs !== 0) throw new RangeError("startMs must be a window start");

  const t0 = now();
  const sim = new Simulation({
    seed: opts.seed,
    assets: [asset],
    windowMs,
    ...(opts.model ? { model: opts.model } : {}),
  });
  const endMs = startMs + opts.windows * windowMs;
  const byStart = new Map<number, WindowObservations>();
  let steps = 0;
  let current: VenueMarket | undefined;
  for (let t = startMs; t < endMs; t += stepMs) {
    sim.tick(t);
    steps++;
    if ((t - startMs) % sampleMs !== 0) continue;
    const wStart = Math.floor(t / windowMs) * windowMs;
    if (!current || current.startMs !== wStart) {
      current = sim.markets().find((m) => m.asset === asset && m.startMs === wStart);
      if (!current) throw new Error(`no market open at ${new Date(t).toISOString()}`);
      byStart.set(wStart, { id: current.slug, windowMs, observations: [] });
    }
    const obs: BookObservation = {
      tMs: t - wStart,
      windowMs,
      up: readBook(sim.engine, current.tokenIds[0]),
      down: readBook(sim.engine, current.tokenIds[1]),
    };
    byStart.get(wStart)?.observations.push(obs);
  }
  const elapsedMs = now() - t0;
  return {
    windows: [...byStart.values()],
    seed: opts.seed,
    stepMs,
    sampleMs,
    steps,
    elapsedMs,
    windowsPerSecond: elapsedMs > 0 ? opts.windows / (elapsedMs / 1000) : Number.POSITIVE_INFINITY,
  };
}
