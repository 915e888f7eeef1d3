/**
 * The chaos harness: one restartable Temporal dev server for the whole run (each trial in its own
 * namespace), trials run one after the other, and their results summed up per kill point and target.
 * Used by `npm run chaos` (bench/chaos.ts) and by tests/integration/chaos.test.ts.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { formatTable } from "../../src/cli/table";
import { FAULT_NAMES, KILL_POINTS, KILL_TARGETS, SCALE_OUT, type TrialSpec } from "./matrix";
import { RestartableTemporal } from "./temporal-server";
import { CONTINUE_AS_NEW_AT, runTrial, type TrialResult } from "./trial";

export const INVARIANTS = [
  "duplicateOrders",
  "lostFills",
  "stuckPositions",
  "orphanOrders",
  "pnlMismatch",
  "bookMismatches",
  "lateFeeds",
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface HarnessOptions {
  log?: (line: string) => void;
  keepLogs?: boolean;
  /** ARB_ENTRY_PATH of every trial (default: the configuration's default, `child`). */
  entry?: "child" | "armed";
}

export class ChaosHarness {
  private constructor(
    readonly temporal: RestartableTemporal,
    readonly workDir: string,
    readonly runId: string,
    readonly options: HarnessOptions,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<ChaosHarness> {
    const workDir = mkdtempSync(path.join(os.tmpdir(), "ballast-chaos-"));
    const temporal = await RestartableTemporal.start({
      dir: workDir,
      dynamicConfig: [`limit.historyCount.suggestContinueAsNew=${CONTINUE_AS_NEW_AT}`],
    });
    return new ChaosHarness(temporal, workDir, randomBytes(3).toString("hex"), options);
  }

  log(line: string): void {
    this.options.log?.(line);
  }

  async run(spec: TrialSpec): Promise<TrialResult> {
    // A server that a trial left down (its restart failed) is started again for the next.
    if (!this.temporal.running) await this.temporal.start().catch(() => undefined);
    return runTrial(
      {
        temporal: this.temporal,
        runId: this.runId,
        workDir: this.workDir,
        log: (l) => this.log(l),
        ...(this.options.keepLogs ? { keepLogs: true } : {}),
        ...(this.options.entry ? { entry: this.options.entry } : {}),
      },
      spec,
    );
  }

  /** Stops the server; removes the work directory unless a trial kept its logs there. */
  async close(results: readonly TrialResult[] = []): Promise<void> {
    await this.temporal.stop();
    if (!this.options.keepLogs && results.every((r) => !r.logDir))
      rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** Violations of a trial (each invariant's count), and whether it could not be run at all. */
export function violations(r: TrialResult): number {
  return INVARIANTS.reduce((n, k) => n + r[k], 0);
}

export interface Cell {
  point: string;
  target: string;
  trials: number;
  landed: number;
  errors: number;
  duplicateOrders: number;
  lostFills: number;
  stuckPositions: number;
  orphanOrders: number;
  pnlMismatch: number;
  bookMismatches: number;
  lateFeeds: number;
  /** Not an invariant: see TrialResult.staleBooks. */
  staleBooks: number;
}

export interface ChaosSummary {
  trials: number;
  landed: number;
  errors: number;
  duplicateOrders: number;
  lostFills: number;
  stuckPositions: number;
  orphanOrders: number;
  pnlMismatch: number;
  bookMismatches: number;
  lateFeeds: number;
  staleBooks: number;
  cells: Cell[];
}

export function summarize(results: readonly TrialResult[]): ChaosSummary {
  const cells: Cell[] = [];
  const rows: [string, readonly string[]][] = [
    ...KILL_POINTS.map((p) => [p, KILL_TARGETS] as [string, readonly string[]]),
    ["soak", FAULT_NAMES],
    [SCALE_OUT.point, [SCALE_OUT.target]],
  ];
  for (const [point, targets] of rows) {
    for (const target of targets) {
      const rs = results.filter((r) => r.point === point && r.target === target);
      if (rs.length === 0) continue;
      cells.push({
        point,
        target,
        trials: rs.length,
        landed: rs.filter((r) => r.landed).length,
        errors: rs.filter((r) => r.error).length,
        staleBooks: rs.reduce((n, r) => n + r.staleBooks, 0),
        ...(Object.fromEntries(INVARIANTS.map((k) => [k, rs.reduce((n, r) => n + r[k], 0)])) as Record<
          Invariant,
          number
        >),
      });
    }
  }
  const total = (k: keyof Cell) => cells.reduce((n, c) => n + (c[k] as number), 0);
  return {
    trials: results.length,
    landed: total("landed"),
    errors: total("errors"),
    duplicateOrders: total("duplicateOrders"),
    lostFills: total("lostFills"),
    stuckPositions: total("stuckPositions"),
    orphanOrders: total("orphanOrders"),
    pnlMismatch: total("pnlMismatch"),
    bookMismatches: total("bookMismatches"),
    lateFeeds: total("lateFeeds"),
    staleBooks: total("staleBooks"),
    cells,
  };
}

/**
 * The table `npm run chaos` prints (and the README shows): one row per kill point and target, per fault
 * soak, and for scale-out trials; each invariant's violations, trials that could not run (errors), and (not an invariant) quiet moments
 * at which the session's book had not caught up with the venue's (stale book).
 */
export function formatSummary(s: ChaosSummary): string {
  const columns = [
    "kill point",
    "target / fault",
    "trials",
    "landed",
    "dup orders",
    "lost fills",
    "stuck",
    "orphans",
    "P&L ≠",
    "book ≠",
    "late feeds",
    "errors",
    "stale book",
  ];
  const row = (c: Omit<Cell, "point" | "target">, point: string, target: string) => [
    point,
    target,
    c.trials,
    c.landed,
    c.duplicateOrders,
    c.lostFills,
    c.stuckPositions,
    c.orphanOrders,
    c.pnlMismatch,
    c.bookMismatches,
    c.lateFeeds,
    c.errors,
    c.staleBooks,
  ];
  return formatTable(columns, [...s.cells.map((c) => row(c, c.point, c.target)), row(s, "all", "")]);
}
