/**
 * The feed's trigger for armed entry: detects on every book with the position's own pure detection,
 * sends the armed position one `execute` Update at a time, never takes a position that executed for
 * armed again (a stale session answer), and re-examines the newest book once a new position is armed.
 */
import { EntryTrigger } from "../../activities/streaming/entry-trigger";
import type { MarketBookSnapshot } from "../../src/session/messages";

const u = (x: number) => Math.round(x * 1e6);
function book(seq: number, upAsk: number, downAsk: number): MarketBookSnapshot {
  return {
    seq,
    venueAtMs: 0,
    receivedAtMs: 0,
    tickSize: 10_000,
    up: { bids: [{ price: u(upAsk - 0.01), size: u(50) }], asks: [{ price: u(upAsk), size: u(50) }] },
    down: { bids: [{ price: u(downAsk - 0.01), size: u(50) }], asks: [{ price: u(downAsk), size: u(50) }] },
  };
}
/** Asks summing to 0.90: an arbitrage after fees at the default 0.02 minimum spread. */
const ARB = (seq: number) => book(seq, 0.44, 0.46);
/** Asks summing to 1.01: nothing. */
const QUIET = (seq: number) => book(seq, 0.5, 0.51);

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const flush = () => new Promise((r) => setTimeout(r, 0));

function harness(armed: (string | undefined)[], answer: (id: string) => Promise<unknown> = async () => ({})) {
  const updates: { id: string; seq: number; detectedAtMs: number }[] = [];
  let now = 1_000;
  let queries = 0;
  const trigger = new EntryTrigger(
    "btc-updown-15m-1",
    "session-btc-updown-15m-1",
    1_000 + 15 * 60_000,
    {
      minSpread: 20_000,
      budgetPerTrade: 25_000_000,
      rebalanceFreezeMs: 60_000,
      startMs: 0,
      feeRate: 70_000,
      feeExponent: 1,
    },
    {
      now: () => now,
      log: silent,
      query: async () => ({ armedPositionId: armed[Math.min(queries++, armed.length - 1)] }),
      update: (id, _name, arg) => {
        const req = arg as { book: MarketBookSnapshot; detectedAtMs: number };
        updates.push({ id, seq: req.book.seq, detectedAtMs: req.detectedAtMs });
        return answer(id);
      },
    },
  );
  return {
    trigger,
    updates,
    queries: () => queries,
    tick: (ms: number) => {
      now += ms;
    },
  };
}

async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

it("sends the armed position an execute on an arbitrage, and nothing on a quiet book", async () => {
  const h = harness(["position-1"]);
  h.trigger.start();
  await until(() => h.queries() === 1, "the session query");
  await flush();
  h.trigger.offer(QUIET(1));
  expect(h.updates).toHaveLength(0);
  h.trigger.offer(ARB(2));
  expect(h.updates).toEqual([{ id: "position-1", seq: 2, detectedAtMs: 1_000 }]);
  h.trigger.stop();
});

it("keeps one Update in flight at a time", async () => {
  let release!: () => void;
  const h = harness(["position-1"], () => new Promise<void>((r) => (release = r)));
  h.trigger.start();
  await until(() => h.queries() === 1, "the session query");
  await flush();
  h.trigger.offer(ARB(1));
  h.trigger.offer(ARB(2));
  h.trigger.offer(ARB(3));
  expect(h.updates.map((x) => x.seq)).toEqual([1]);
  release();
  h.trigger.stop();
});

it("aims at the next position at once after an execute, without asking the session", async () => {
  const h = harness(["position-1"]);
  h.trigger.start();
  await until(() => h.queries() === 1, "the first query");
  await flush();
  h.trigger.offer(ARB(1));
  await until(() => h.trigger.stats.accepted === 1, "the first execute");
  await flush();
  h.trigger.offer(ARB(2));
  expect(h.updates.map((x) => x.id)).toEqual(["position-1", "position-2"]);
  expect(h.queries()).toBe(1);
  h.trigger.stop();
});

it("never takes a position that executed for armed again, and re-examines the newest book once the next is armed", async () => {
  // position-2 is not armed yet (its predecessor still executing), and the session still names
  // position-1 for a while after it executed (its status signal is on the way).
  const notFound = Object.assign(new Error("workflow not found"), { name: "WorkflowNotFoundError" });
  let secondTries = 0;
  const h = harness(["position-1", "position-1", "position-1", "position-2"], async (id) => {
    if (id === "position-2" && secondTries++ === 0) throw notFound;
    return {};
  });
  h.trigger.start();
  await until(() => h.queries() === 1, "the first query");
  await flush();
  h.trigger.offer(ARB(1));
  await until(() => h.trigger.stats.accepted === 1, "the first execute");
  await flush();
  h.trigger.offer(ARB(2)); // to position-2: not there yet
  await until(() => h.queries() >= 4, "the refreshes");
  // The newest book (the same arbitrage, still there) goes to position-2 once the session names it.
  await until(() => h.updates.length === 3, "the Update to the armed position-2");
  expect(h.updates.map((x) => x.id)).toEqual(["position-1", "position-2", "position-2"]);
  expect(h.trigger.stats).toMatchObject({ accepted: 2, notFound: 1 });
  h.trigger.stop();
});

it("a refusal because the position is no longer armed makes it ask the session again", async () => {
  const refusal = Object.assign(new Error("Workflow Update failed"), {
    name: "WorkflowUpdateFailedError",
    cause: new Error("already executing: this position is no longer armed"),
  });
  const h = harness(["position-1", "position-2"], async (id) => {
    if (id === "position-1") throw refusal;
    return {};
  });
  h.trigger.start();
  await until(() => h.queries() === 1, "the first query");
  await flush();
  h.trigger.offer(ARB(1));
  await until(() => h.updates.length === 2, "the Update to the newly armed position");
  expect(h.updates.map((x) => x.id)).toEqual(["position-1", "position-2"]);
  expect(h.trigger.stats).toMatchObject({ refused: 1, accepted: 1 });
  h.trigger.stop();
});

it("sends nothing in the window's last minute (the positions' freeze)", async () => {
  const h = harness(["position-1"]);
  h.trigger.start();
  await until(() => h.queries() === 1, "the session query");
  await flush();
  h.tick(15 * 60_000 - 60_000);
  h.trigger.offer(ARB(1));
  expect(h.updates).toHaveLength(0);
  h.trigger.stop();
});
