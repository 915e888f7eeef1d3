/**
 * The chaos harness of `npm run chaos` (bench/chaos), short: its invariant checks on records made up here,
 * then three real trials run side by side in one window on one Temporal server — the whole stack (both
 * workers and the Temporal server) killed with SIGKILL while the venue holds one of our POST /order
 * requests; the streaming worker killed while our first trade's fills are on their way; and a soak with
 * 20 % of the venue's CLOB answers injected errors (500, 425, 429 with Retry-After, 503) — each checked from
 * the venue's own records: no order twice or undecided, the fills table equal to the venue's trades with
 * their final statuses, every position and session completed, no order left open, the recorded P&L equal to
 * the venue's balance change, and the session's book equal to the venue's at quiet moments.
 */
import { ChaosHarness, summarize, violations } from "../../bench/chaos/harness";
import { checkCompletion, checkFills, checkOrders } from "../../bench/chaos/invariants";
import type { TrialSpec } from "../../bench/chaos/matrix";
import type { TrialResult } from "../../bench/chaos/trial";
import type { Submission } from "../../src/venue/server/submissions";
import type { FillRecord } from "../helpers/stack";

function entry(
  seq: number,
  orderHash: string,
  outcome: Submission["outcome"],
  error: string | null = null,
): Submission {
  return {
    seq,
    route: "POST /order",
    orderHash,
    owner: "key",
    address: "0xabc",
    maker: "0xabc",
    tokenId: "1",
    side: "BUY",
    price: "0.45",
    size: "10",
    orderType: "FAK",
    postOnly: false,
    outcome,
    status: outcome === "accepted" ? "matched" : null,
    error,
    heldMs: 0,
    receivedAtMs: seq,
    decidedAtMs: seq,
  };
}

const fill = (trade: string, status = "CONFIRMED", size = 10_000_000): FillRecord => ({
  trade,
  order: "0xo",
  token: "1",
  side: "BUY",
  role: "TAKER",
  price: 450_000,
  size,
  fee: 0,
  status,
});

describe("the chaos harness's invariants", () => {
  it("count an order the venue took twice, one no workflow decided, and orders beyond the intents", () => {
    const decided = [
      { id: "0xa", workflow_id: "position-1" },
      { id: "0xb", workflow_id: "position-1" },
    ];
    const clean = [entry(1, "0xa", "accepted"), entry(2, "0xa", "refused", "order is invalid. Duplicated.")];
    expect(checkOrders(clean, decided, 2).duplicateOrders).toBe(0);
    expect(checkOrders([...clean, entry(3, "0xa", "accepted")], decided, 2)).toMatchObject({
      duplicateOrders: 1,
      doubleAccepted: ["0xa"],
    });
    expect(
      checkOrders([...clean, entry(3, "0xc", "refused", "not enough balance")], decided, 2),
    ).toMatchObject({
      duplicateOrders: 1,
      undecided: ["0xc"],
    });
    // An order whose row has no workflow was not decided by one.
    expect(checkOrders(clean, [{ id: "0xa", workflow_id: null }], 2).undecided).toEqual(["0xa"]);
    expect(checkOrders([entry(1, "0xa", "accepted"), entry(2, "0xb", "accepted")], decided, 1)).toMatchObject(
      {
        duplicateOrders: 1,
        beyondIntents: 1,
      },
    );
  });

  it("count venue fills missing from the database, recorded otherwise, or there without a venue trade", () => {
    const venue = [fill("t1"), fill("t2", "FAILED")];
    expect(checkFills(venue, venue).lostFills).toBe(0);
    expect(checkFills(venue, [fill("t1")]).missing).toEqual([fill("t2", "FAILED")]);
    // A trade the venue failed after the database last heard of it: the final status differs.
    expect(checkFills(venue, [fill("t1"), fill("t2", "MINED")]).different).toHaveLength(1);
    expect(checkFills(venue, [fill("t1", "CONFIRMED", 9_000_000), fill("t2", "FAILED")]).lostFills).toBe(1);
    expect(checkFills(venue, [...venue, fill("t3")])).toMatchObject({ lostFills: 1, extra: [fill("t3")] });
  });

  it("count each workflow that did not complete, and each position row left open, once per id", () => {
    const ends = [
      { type: "position", workflowId: "position-a-1", status: "COMPLETED", phase: "RESOLVED" },
      { type: "marketSession", workflowId: "session-a", status: "COMPLETED" },
    ];
    const rows = [{ id: "position-a-1", status: "RESOLVED" }];
    expect(checkCompletion(ends, rows).stuck).toEqual([]);
    expect(
      checkCompletion(
        [
          { ...ends[0]!, status: "RUNNING", phase: undefined },
          { ...ends[1]!, status: "TERMINATED" },
        ],
        [{ id: "position-a-1", status: "IMBALANCED" }],
      ).stuck,
    ).toEqual(["position-a-1: RUNNING, trades row IMBALANCED", "session-a: TERMINATED"]);
    expect(checkCompletion([{ ...ends[0]!, phase: "UNRESOLVED" }], rows).stuck).toHaveLength(1);
    // An armed position never executed ends UNUSED, with no row: as it should.
    const unused = { type: "position", workflowId: "position-a-2", status: "COMPLETED", phase: "UNUSED" };
    expect(checkCompletion([unused], []).stuck).toEqual([]);
    expect(checkCompletion([unused], [{ id: "position-a-2", status: "EXECUTING" }]).stuck).toEqual([
      "position-a-2: trades row EXECUTING",
    ]);
  });
});

describe("chaos trials on the whole stack", () => {
  let harness: ChaosHarness;
  const results: TrialResult[] = [];

  beforeAll(async () => {
    harness = await ChaosHarness.start({ log: (line) => process.stdout.write(`${line}\n`) });
  });

  afterAll(async () => {
    await harness?.close(results);
  });

  it("kills the whole stack while the venue holds our order, and the streamer while fills are on their way, and soaks in HTTP errors: every invariant holds", async () => {
    const specs: TrialSpec[] = [
      { index: 1, point: "held", target: "stack", seed: 11 },
      { index: 2, point: "fills", target: "streamer", seed: 12 },
      { index: 3, point: "soak", target: "http-errors", fault: "http-errors", seed: 13 },
    ];
    results.push(...(await Promise.all(specs.map((s) => harness.run(s)))));
    for (const r of results) {
      const shown = {
        trial: `${r.point}/${r.target}`,
        error: r.error,
        landed: r.landed,
        violations: violations(r),
        details: violations(r) ? r.details : undefined,
      };
      expect(shown).toEqual({
        trial: `${r.point}/${r.target}`,
        error: undefined,
        landed: true,
        violations: 0,
        details: undefined,
      });
      expect(r.story.entryOrders).toBeGreaterThanOrEqual(2);
    }
    expect(summarize(results)).toMatchObject({
      trials: 3,
      landed: 3,
      duplicateOrders: 0,
      lostFills: 0,
      stuckPositions: 0,
      orphanOrders: 0,
      pnlMismatch: 0,
      bookMismatches: 0,
    });
  }, 330_000);
});
