/**
 * The per-window summary of `ballast start`: printed once per window, when all of its positions are final,
 * counting all of them; windows an earlier run completed are not printed again.
 */
import { WINDOW_ROWS_SQL, type WindowRow, windowsToAnnounce } from "../../src/cli/window-summary";
import type { Database } from "../../src/db/database";
import { type PositionRecord, resolvePosition, upsertPosition } from "../../src/db/positions";
import { freshDatabase } from "../helpers/database";

const END = Date.parse("2026-01-01T00:15:00.000Z");

function position(id: string, slug: string, status: PositionRecord["status"]): PositionRecord {
  return {
    id,
    marketSlug: slug,
    conditionId: `0x${slug}`,
    asset: "BTC",
    yesTokenId: "up",
    noTokenId: "down",
    marketEndAtMs: END,
    status,
    spread: 30_000,
    yesPrice: 450_000,
    noPrice: 470_000,
    yesShares: 10_000_000,
    noShares: 10_000_000,
    totalCost: 9_200_000,
    feesPaid: 0,
  };
}

async function resolve(db: Database, id: string, profit: number): Promise<void> {
  await resolvePosition(db.pool, {
    positionId: id,
    resolvedAtMs: END + 60_000,
    winningOutcome: "NO",
    payout: 10_000_000,
    actualProfit: profit,
    finalYesShares: 10_000_000,
    finalNoShares: 10_000_000,
  });
}

describe("per-window summary", () => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  const rows = async () => (await db.pool.query<WindowRow>(WINDOW_ROWS_SQL)).rows;

  it("waits for every position of a window, then counts them all, once", async () => {
    await upsertPosition(db.pool, position("a-1", "w-a", "BALANCED"));
    await upsertPosition(db.pool, position("a-2", "w-a", "IMBALANCED"));
    const announced = new Set<string>();
    expect(windowsToAnnounce(await rows(), announced, false)).toEqual([]);
    // The first position resolves: the window is not complete yet.
    await resolve(db, "a-1", 800_000);
    expect(windowsToAnnounce(await rows(), announced, false)).toEqual([]);
    // The second resolves: both counted, P&L 0.80 + 0.40.
    await resolve(db, "a-2", 400_000);
    expect(windowsToAnnounce(await rows(), announced, false)).toEqual([
      "resolved w-a: Down won, 2 position(s), P&L $1.20",
    ]);
    expect(windowsToAnnounce(await rows(), announced, false)).toEqual([]);
  });

  it("names UNRESOLVED positions, and a window with no winner known", async () => {
    await upsertPosition(db.pool, position("b-1", "w-b", "UNRESOLVED"));
    expect(windowsToAnnounce(await rows(), new Set(["w-a"]), false)).toEqual([
      "resolved w-b: no winner known, 1 position(s), 1 UNRESOLVED, P&L $0.00",
    ]);
  });

  it("does not print again, after a restart, the windows an earlier run completed", async () => {
    const announced = new Set<string>();
    // The first look after a start only remembers.
    expect(windowsToAnnounce(await rows(), announced, true)).toEqual([]);
    expect([...announced].sort()).toEqual(["w-a", "w-b"]);
    await upsertPosition(db.pool, position("c-1", "w-c", "BALANCED"));
    await resolve(db, "c-1", -100_000);
    expect(windowsToAnnounce(await rows(), announced, false)).toEqual([
      "resolved w-c: Down won, 1 position(s), P&L -$0.10",
    ]);
  });
});
