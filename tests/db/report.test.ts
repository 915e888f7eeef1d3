import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  acquireEmbeddedLock,
  EmbeddedDatabaseBusyError,
  embeddedLockPath,
  formatReport,
  ReportError,
  runReport as runReportCommand,
} from "../../src/cli/report";
import { type ReportSection, runReport } from "../../src/db/analysis";
import { type Database, openDatabase } from "../../src/db/database";
import {
  type PositionRecord,
  recordRebalanceTrade,
  resolvePosition,
  upsertPosition,
  upsertTelemetry,
} from "../../src/db/positions";
import { freshDatabase } from "../helpers/database";

const T0 = Date.parse("2025-12-31T17:01:00.000Z");
const FILLED = T0 + 1_000;
const END = Date.parse("2025-12-31T17:15:00.000Z");

function position(id: string, over: Partial<PositionRecord>): PositionRecord {
  return {
    id,
    marketSlug: `btc-updown-15m-${id}`,
    conditionId: `0x${id}`,
    asset: "BTC",
    yesTokenId: `${id}-up`,
    noTokenId: `${id}-down`,
    marketEndAtMs: END,
    status: "OPEN",
    spread: 30_000,
    yesPrice: 480_000,
    noPrice: 490_000,
    yesShares: 0,
    noShares: 0,
    totalCost: 0,
    feesPaid: 0,
    ...over,
  };
}

/**
 * Four positions (seed 000's walkthrough numbers):
 * - A balanced from the start: 10 YES @0.48 + 10 NO @0.49 = 9.70; YES wins: +0.30.
 * - B partial (10 YES, 6 NO = 7.74, ratio 0.6); SELL_YES @0.52 fails, then BUY_NO 4 @0.46 (profit 0.42)
 *   balances it 120 s after the fill: 10/10 for 9.58; NO wins: +0.42. Unbalanced it would have made
 *   6 − 7.74 = −1.74, so rebalancing avoided 0.42 − (−1.74) = 2.16.
 * - C partial (10 YES, 5 NO = 7.25, ratio 0.5); SELL_YES 5 @0.50 fills 2 only (PARTIAL, profit 0.04):
 *   8 YES, 5 NO for 6.25, never balanced; NO wins: 5 − 6.25 = −1.25.
 * - D open, 5/5, not resolved.
 * Execution latencies 20, 40, 60, 80 ms.
 */
async function seed(db: Database): Promise<void> {
  const pool = db.pool;
  const telemetry = (id: string, latencyMs: number, yes: number, no: number, cost: number) =>
    upsertTelemetry(pool, {
      positionId: id,
      opportunityDetectedAtMs: T0,
      opportunitySpread: 30_000,
      opportunityYesPrice: 480_000,
      opportunityNoPrice: 490_000,
      orderPlacedAtMs: T0 + latencyMs,
      orderFilledAtMs: FILLED,
      initialYesShares: yes,
      initialNoShares: no,
      initialCost: cost,
    });

  await upsertPosition(
    pool,
    position("a", { status: "BALANCED", yesShares: 10e6, noShares: 10e6, totalCost: 9_700_000 }),
  );
  await telemetry("a", 20, 10e6, 10e6, 9_700_000);
  await resolvePosition(pool, {
    positionId: "a",
    resolvedAtMs: END,
    winningOutcome: "YES",
    payout: 10e6,
    actualProfit: 300_000,
    finalYesShares: 10e6,
    finalNoShares: 10e6,
  });

  await upsertPosition(
    pool,
    position("b", { status: "IMBALANCED", yesShares: 10e6, noShares: 6e6, totalCost: 7_740_000 }),
  );
  await telemetry("b", 40, 10e6, 6e6, 7_740_000);
  await upsertTelemetry(pool, { positionId: "b", rebalanceStartedAtMs: FILLED });
  await recordRebalanceTrade(pool, {
    positionId: "b",
    attemptedAtMs: FILLED + 60_000,
    action: "SELL_YES",
    shares: 4e6,
    price: 520_000,
    status: "FAILED",
    filledShares: 0,
  });
  await recordRebalanceTrade(pool, {
    positionId: "b",
    attemptedAtMs: FILLED + 120_000,
    action: "BUY_NO",
    shares: 4e6,
    price: 460_000,
    status: "SUCCESS",
    filledShares: 4e6,
    profit: 420_000,
  });
  await upsertPosition(
    pool,
    position("b", {
      status: "BALANCED",
      yesShares: 10e6,
      noShares: 10e6,
      noPrice: 475_000,
      totalCost: 9_580_000,
      rebalanceStatus: "completed",
      rebalanceAction: "BUY_NO",
      rebalanceShares: 4e6,
      rebalancePrice: 460_000,
      rebalanceProfit: 420_000,
      rebalancedAtMs: FILLED + 120_000,
    }),
  );
  await upsertTelemetry(pool, {
    positionId: "b",
    rebalanceAttempts: 2,
    positionBalancedAtMs: FILLED + 120_000,
  });
  await resolvePosition(pool, {
    positionId: "b",
    resolvedAtMs: END,
    winningOutcome: "NO",
    payout: 10e6,
    actualProfit: 420_000,
    finalYesShares: 10e6,
    finalNoShares: 10e6,
  });

  await upsertPosition(
    pool,
    position("c", { status: "IMBALANCED", yesShares: 10e6, noShares: 5e6, totalCost: 7_250_000 }),
  );
  await telemetry("c", 60, 10e6, 5e6, 7_250_000);
  await upsertTelemetry(pool, { positionId: "c", rebalanceStartedAtMs: FILLED, rebalanceAttempts: 1 });
  await recordRebalanceTrade(pool, {
    positionId: "c",
    attemptedAtMs: FILLED + 30_000,
    action: "SELL_YES",
    shares: 5e6,
    price: 500_000,
    status: "PARTIAL",
    filledShares: 2e6,
    profit: 40_000,
  });
  await upsertPosition(
    pool,
    position("c", {
      status: "IMBALANCED",
      yesShares: 8e6,
      noShares: 5e6,
      totalCost: 6_250_000,
      rebalanceStatus: "pending",
    }),
  );
  await resolvePosition(pool, {
    positionId: "c",
    resolvedAtMs: END,
    winningOutcome: "NO",
    payout: 5e6,
    actualProfit: -1_250_000,
    finalYesShares: 8e6,
    finalNoShares: 5e6,
  });

  await upsertPosition(
    pool,
    position("d", { status: "BALANCED", yesShares: 5e6, noShares: 5e6, totalCost: 4_850_000 }),
  );
  await telemetry("d", 80, 5e6, 5e6, 4_850_000);
}

/** The section's rows as objects keyed by column label. */
function table(sections: ReportSection[], title: string): Record<string, string>[] {
  const s = sections.find((x) => x.title === title);
  if (!s) throw new Error(`no section ${title}`);
  return s.rows.map((r) => Object.fromEntries(s.columns.map((c, i) => [c, r[i] ?? ""])));
}

describe("ballast report", () => {
  let db: Database & { label: string };
  let empty: Database & { label: string };

  beforeAll(async () => {
    db = await freshDatabase();
    await seed(db);
    empty = await freshDatabase();
  });
  afterAll(async () => {
    await db?.close();
    await empty?.close();
  });

  it("computes the success metrics and the seed's analyses of a known ledger", async () => {
    const sections = await runReport(db.pool);
    expect(sections.map((s) => s.title)).toEqual([
      "Summary",
      "Rebalancing rate",
      "Time to rebalance",
      "Rebalancing profit",
      "Avoided losses",
      "Rebalancing fill rate",
      "Execution latency",
      "Trades that required rebalancing",
      "Time to balance",
    ]);
    expect(table(sections, "Summary")).toEqual([
      {
        positions: "4",
        open: "1",
        resolved: "3",
        unresolved: "0",
        "total P&L": "-0.53",
        "win rate %": "66.7",
        "guaranteed positive": "2",
        "their win rate %": "100.0",
      },
    ]);
    expect(table(sections, "Rebalancing rate")).toEqual([
      { "partial fills": "2", rebalanced: "1", "rebalancing rate %": "50.0" },
    ]);
    expect(table(sections, "Time to rebalance")).toEqual([
      { rebalanced: "1", "avg s": "120.0", "min s": "120.0", "max s": "120.0" },
    ]);
    // The seed's profit, apart per kind: C's SELL gained 2 × (0.50 − 0.48) = 0.04 over entry; B's BUY left
    // the position locking in 10 − 9.58 = 0.42.
    expect(table(sections, "Rebalancing profit")).toEqual([
      {
        "filled rebalancing trades": "2",
        positions: "2",
        "SELL gain over entry": "0.04",
        "BUY locked-in P&L": "0.42",
      },
    ]);
    expect(sections.find((s) => s.title === "Rebalancing profit")?.note).toMatch(
      /SELL's gain over the leg's average entry.*BUY's guaranteed P&L that the position locks in after it/,
    );
    expect(table(sections, "Avoided losses")).toEqual([
      {
        "rebalanced & resolved": "1",
        "would have lost": "1",
        "original P&L": "-1.74",
        "actual P&L": "0.42",
        "avoided losses": "2.16",
      },
    ]);
    expect(table(sections, "Rebalancing fill rate")).toEqual([
      {
        attempts: "3",
        filled: "1",
        partial: "1",
        failed: "1",
        "fill rate %": "66.7",
        "shares asked": "13.00",
        "shares filled": "6.00",
      },
    ]);
    expect(table(sections, "Execution latency")).toEqual([
      { trades: "4", "avg ms": "50.0", "min ms": "20.0", "max ms": "80.0" },
    ]);
    expect(table(sections, "Trades that required rebalancing")).toEqual([
      { "needing rebalance": "2", balanced: "1", "avg attempts": "1.50" },
    ]);
    expect(table(sections, "Time to balance")).toEqual([{ "time to balance": "1-5 min", positions: "1" }]);
  });

  it("uses the configured rebalance threshold", async () => {
    // At 0.55 only C (ratio 0.5) was a partial fill, and it was never balanced.
    const sections = await runReport(db.pool, { rebalanceThreshold: 0.55 });
    expect(table(sections, "Rebalancing rate")).toEqual([
      { "partial fills": "1", rebalanced: "0", "rebalancing rate %": "0.0" },
    ]);
    expect(table(sections, "Time to rebalance")).toEqual([]);
    await expect(runReport(db.pool, { rebalanceThreshold: 2 })).rejects.toThrow(/threshold/);
  });

  it("prints aligned tables", async () => {
    const text = formatReport(await runReport(db.pool));
    expect(text).toContain(
      [
        "Rebalancing rate",
        "  partial fills  rebalanced  rebalancing rate %",
        "  -------------  ----------  ------------------",
        "              2           1                50.0",
      ].join("\n"),
    );
    expect(text).toContain(
      [
        "Rebalancing profit",
        "  (the seed's profit of each filled rebalancing trade: a SELL's gain over the leg's average entry, net " +
          "of fees; a BUY's guaranteed P&L that the position locks in after it (the whole position's, not an " +
          "increment))",
        "  filled rebalancing trades  positions  SELL gain over entry  BUY locked-in P&L",
      ].join("\n"),
    );
    expect(text).toContain(
      [
        "Time to balance",
        "  time to balance  positions",
        "  ---------------  ---------",
        "  1-5 min                  1",
      ].join("\n"),
    );
  });

  it("shows every table with no data on an empty ledger", async () => {
    const sections = await runReport(empty.pool);
    expect(sections).toHaveLength(9);
    for (const s of sections) expect(s.rows).toEqual([]);
    const text = formatReport(sections);
    expect(text.match(/\(no data\)/g)).toHaveLength(9);
    expect(text).toContain(["Avoided losses", "  rebalanced & resolved"].join("\n"));
  });

  describe("the command", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ballast-report-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function capture() {
      const out: string[] = [];
      const notes: string[] = [];
      return {
        out,
        notes,
        io: (env: NodeJS.ProcessEnv) => ({
          out: (t: string) => out.push(t),
          note: (t: string) => notes.push(t),
          env,
        }),
      };
    }

    it("reads the database given by --database-url", async () => {
      const c = capture();
      await runReportCommand({ databaseUrl: db.url }, c.io({}));
      const text = c.out.join("");
      expect(text).toContain("Summary");
      expect(text).toMatch(/ {2}4 +1 +3 +0 +-0\.53 +66\.7 +2 +100\.0\n/);
      const json = capture();
      await runReportCommand({ databaseUrl: db.url, json: true }, json.io({}));
      expect(JSON.parse(json.out.join(""))).toEqual(await runReport(db.pool));
    });

    it("never migrates: a database behind Ballast's schema is refused, not changed", async () => {
      const bare = await openDatabase({ dataDir: "memory://", migrate: false });
      try {
        const c = capture();
        const err = await runReportCommand({ databaseUrl: bare.url }, c.io({})).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ReportError);
        expect((err as Error).message).toMatch(
          /is not at Ballast's schema \(migrations not applied: 1763700000000_initial, 1763800000000_telemetry-initial-cost, 1764000000000_unresolved-status\)/,
        );
        const { rows } = await bare.pool.query("SELECT to_regclass('pgmigrations') IS NULL AS untouched");
        expect(rows[0].untouched).toBe(true);
      } finally {
        await bare.close();
      }
    });

    it("prints empty tables when the embedded database does not exist yet", async () => {
      const c = capture();
      const dataDir = path.join(dir, "never");
      await runReportCommand({}, c.io({ BALLAST_DATA_DIR: dataDir }));
      expect(c.notes.join("")).toContain(`no embedded database under ${dataDir}`);
      expect(c.out.join("").match(/\(no data\)/g)).toHaveLength(9);
    });

    it("opens a free embedded database under a lock, and releases it", async () => {
      const dataDir = path.join(dir, "free");
      const service = await openDatabase({ dataDir });
      await seed(service);
      await service.close();
      const c = capture();
      await runReportCommand({}, c.io({ BALLAST_DATA_DIR: dataDir }));
      expect(c.out.join("")).toMatch(/ {2}4 +1 +3 +0 +-0\.53 +66\.7 +2 +100\.0\n/);
      // Released: someone else can take it now.
      acquireEmbeddedLock(dataDir).release();
    });

    it("reads through the server of the process holding the embedded database", async () => {
      const dataDir = path.join(dir, "served");
      mkdirSync(dataDir, { recursive: true });
      // The holder: a live process (our parent stands in for the trading service) serving `db`.
      writeFileSync(
        embeddedLockPath(dataDir),
        JSON.stringify({ pid: process.ppid, url: db.url, since: "2025-12-31T17:00:00.000Z" }),
      );
      const c = capture();
      await runReportCommand({}, c.io({ BALLAST_DATA_DIR: dataDir }));
      expect(c.notes.join("")).toContain(`in use by process ${process.ppid}; reading it through`);
      expect(c.out.join("")).toMatch(/-0\.53/);
      expect(() => acquireEmbeddedLock(dataDir)).toThrow(EmbeddedDatabaseBusyError);
    });

    it("says clearly who holds the embedded database when it cannot read through it", async () => {
      const dataDir = path.join(dir, "held");
      mkdirSync(path.join(dataDir, "pglite"), { recursive: true });
      writeFileSync(
        embeddedLockPath(dataDir),
        JSON.stringify({ pid: process.ppid, since: "2025-12-31T17:00:00.000Z" }),
      );
      const c = capture();
      const err = await runReportCommand({}, c.io({ BALLAST_DATA_DIR: dataDir })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReportError);
      expect((err as Error).message).toMatch(
        new RegExp(`embedded database under .*held is in use by process ${process.ppid}.*--database-url`),
      );
      expect(c.out).toEqual([]);
    });

    it("replaces a stale lock whose process is gone", async () => {
      const dataDir = path.join(dir, "stale");
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(embeddedLockPath(dataDir), JSON.stringify({ pid: 2 ** 22 + 12345, since: "then" }));
      const lock = acquireEmbeddedLock(dataDir);
      lock.publish("postgres://postgres@127.0.0.1:1/postgres");
      lock.release();
      acquireEmbeddedLock(dataDir).release();
    });
  });
});
