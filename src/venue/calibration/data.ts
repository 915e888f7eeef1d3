/**
 * Loads the shared real-market data (../shared/data/polymarket-btc15m/market_data_*.csv, see its
 * SOURCES.md) into per-window book observations for statistics.ts.
 *
 * Each row: `Timestamp` (UTC, 1 s), `TargetTime` (window start), `Expiration` (window end), then per
 * token (Up…, Down…) `Bid`, `Ask`, `Mid`, `Spread`, `BidLiquidity`, `AskLiquidity`, where
 * …Liquidity is the summed size of the 5 best levels. A side with no orders is written as price 0
 * with liquidity 0: it becomes `null` here (price and depth). Mid and Spread are not read (they are
 * derived from Bid and Ask, and written 0 for a one-sided book).
 *
 * Rows are grouped by window start. A window is whole when its first row is at most
 * `edgeToleranceMs` after its start and its last at most that long before its last second; the captures
 * start and stop mid-window, so the first and last windows of a file usually are not, and they are
 * skipped (counted in `skipped`). A line that cannot be read throws {@link CalibrationDataError},
 * whose message is one line naming the file and line.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { type Micros, parseMicros } from "../../money";
import type { BookObservation, TokenBook, WindowObservations } from "./statistics";

export class CalibrationDataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = "CalibrationDataError";
  }
}

export const COLUMNS = [
  "Timestamp",
  "TargetTime",
  "Expiration",
  "UpBid",
  "UpAsk",
  "UpMid",
  "UpSpread",
  "UpBidLiquidity",
  "UpAskLiquidity",
  "DownBid",
  "DownAsk",
  "DownMid",
  "DownSpread",
  "DownBidLiquidity",
  "DownAskLiquidity",
] as const;

/** A window's first and last rows may be this far from its start and end and it still counts as whole. */
export const EDGE_TOLERANCE_MS = 10_000;

export interface LoadedData {
  files: string[];
  /** Data rows read. */
  rows: number;
  /** The whole windows, oldest first. */
  windows: WindowObservations[];
  /** The partial windows left out. */
  skipped: { windows: number; rows: number; ids: string[] };
}

/** Splits one line of a simple CSV (no quoting: these files have none). */
export function splitCsvLine(line: string): string[] {
  if (line.includes('"')) throw new Error("quoted fields are not supported");
  return line.split(",");
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z?$/;

/** "2025-12-26 10:34:14" (UTC) → ms since the epoch. */
export function parseUtc(text: string): number {
  const m = TIME_RE.exec(text.trim());
  if (!m) throw new Error(`not a UTC time "YYYY-MM-DD HH:MM:SS": ${JSON.stringify(text)}`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? "").padEnd(3, "0"));
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(t);
  if (back.getUTCDate() !== d || back.getUTCMonth() !== mo - 1 || h > 23 || mi > 59 || s > 59)
    throw new Error(`not a valid time: ${JSON.stringify(text)}`);
  return t;
}

function number(text: string, column: string): Micros {
  try {
    const v = parseMicros(text);
    if (v < 0) throw new Error("negative");
    return v;
  } catch {
    throw new Error(`${column} is not a non-negative decimal: ${JSON.stringify(text)}`);
  }
}

/** One token's book from its Bid, Ask, BidLiquidity, AskLiquidity fields (price 0 = no side). */
function tokenBook(f: string[], at: number, name: string): TokenBook {
  const bid = number(f[at] as string, `${name}Bid`);
  const ask = number(f[at + 1] as string, `${name}Ask`);
  const bidDepth = number(f[at + 4] as string, `${name}BidLiquidity`);
  const askDepth = number(f[at + 5] as string, `${name}AskLiquidity`);
  for (const [p, c] of [
    [bid, "Bid"],
    [ask, "Ask"],
  ] as const) {
    if (p > 1_000_000) throw new Error(`${name}${c} above 1: ${p / 1_000_000}`);
  }
  return {
    bid: bid === 0 ? null : bid,
    ask: ask === 0 ? null : ask,
    bidDepth5: bid === 0 ? null : bidDepth,
    askDepth5: ask === 0 ? null : askDepth,
  };
}

interface Row {
  startMs: number;
  endMs: number;
  obs: BookObservation;
}

/** Parses one file's text; `file` names it in errors. */
export function parseMarketCsv(text: string, file: string): Row[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? "");
  const missing = COLUMNS.filter((c, i) => header[i]?.trim() !== c);
  if (missing.length > 0 || header.length !== COLUMNS.length)
    throw new CalibrationDataError(file, 1, `header is not ${COLUMNS.join(",")}`);
  const rows: Row[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    try {
      const f = splitCsvLine(line);
      if (f.length !== COLUMNS.length) throw new Error(`${f.length} fields, expected ${COLUMNS.length}`);
      const ts = parseUtc(f[0] as string);
      const startMs = parseUtc(f[1] as string);
      const endMs = parseUtc(f[2] as string);
      if (endMs <= startMs) throw new Error("Expiration is not after TargetTime");
      if (ts < startMs || ts >= endMs) throw new Error("Timestamp is outside [TargetTime, Expiration)");
      rows.push({
        startMs,
        endMs,
        obs: {
          tMs: ts - startMs,
          windowMs: endMs - startMs,
          up: tokenBook(f, 3, "Up"),
          down: tokenBook(f, 9, "Down"),
        },
      });
    } catch (err) {
      throw new CalibrationDataError(file, i + 1, (err as Error).message);
    }
  }
  return rows;
}

/** Groups rows into windows and keeps the whole ones. */
export function windowsOf(
  rows: readonly Row[],
  edgeToleranceMs = EDGE_TOLERANCE_MS,
): { windows: WindowObservations[]; skipped: LoadedData["skipped"] } {
  const byStart = new Map<number, { windowMs: number; obs: BookObservation[] }>();
  for (const r of rows) {
    let w = byStart.get(r.startMs);
    if (!w) {
      w = { windowMs: r.endMs - r.startMs, obs: [] };
      byStart.set(r.startMs, w);
    }
    w.obs.push(r.obs);
  }
  const windows: WindowObservations[] = [];
  const skipped: LoadedData["skipped"] = { windows: 0, rows: 0, ids: [] };
  for (const [startMs, w] of [...byStart].sort((a, b) => a[0] - b[0])) {
    const obs = [...w.obs].sort((a, b) => a.tMs - b.tMs);
    const id = new Date(startMs).toISOString();
    const first = obs[0]?.tMs ?? Number.POSITIVE_INFINITY;
    const last = obs[obs.length - 1]?.tMs ?? Number.NEGATIVE_INFINITY;
    // The last row of a whole window is at windowMs − 1 s on a 1 s grid.
    if (first > edgeToleranceMs || last < w.windowMs - 1_000 - edgeToleranceMs) {
      skipped.windows++;
      skipped.rows += obs.length;
      skipped.ids.push(id);
      continue;
    }
    windows.push({ id, windowMs: w.windowMs, observations: obs });
  }
  return { windows, skipped };
}

/** The `market_data_*.csv` files of a directory, by name. */
export function marketDataFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^market_data_.*\.csv$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Loads the files (e.g. {@link marketDataFiles}) into whole windows. */
export function loadMarketData(files: readonly string[]): LoadedData {
  const rows: Row[] = [];
  for (const file of files) {
    for (const r of parseMarketCsv(readFileSync(file, "utf8"), file)) rows.push(r);
  }
  const { windows, skipped } = windowsOf(rows);
  return { files: [...files], rows: rows.length, windows, skipped };
}
