/**
 * The quoter's data plane (src/quoting/quoter.ts) against the venue simulator (loopback, manual clock, the
 * real 5-share minimum and 0.01 tick): it quotes both outcomes as post-only BUYs around the book, re-quotes
 * only beyond the refresh threshold, counts and reports a fill once, reconciles a restart (cancels what it does
 * not own, rebuilds inventory from the venue's trades), relies on the venue's dead-man switch, settles an
 * unknown batch outcome by reading back instead of resending, pulls its quotes on momentum, a user-channel
 * drop and stop(). No fixed sleeps: every wait is for a condition.
 */
import { OrderType, Side } from "@polymarket/clob-client-v2";
import { Exchange } from "../../src/polymarket/exchange";
import type { RestOpenOrder } from "../../src/polymarket/types";
import { venueForQuoter } from "../../src/quoting/quote-venue";
import { type FillReport, Quoter, type QuoterDeps, RefreshBudget } from "../../src/quoting/quoter";
import { DEFAULT_QUOTING_PARAMS } from "../../src/strategy/quoting/params";
import { MarketDataHub, type MarketDataRef } from "../../src/streaming/market-data";
import type { VenueMarket } from "../../src/venue/types";
import { newTrader, openMarket, startTestVenue, type TestVenue, type Trader } from "../helpers/venue";

async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const FAST_CHANNELS = { backoff: { baseMs: 20, capMs: 200 }, closeTimeoutMs: 500 };
const HEARTBEAT_TIMEOUT_MS = 2_000;

interface Harness {
  quoter: Quoter;
  exchange: Exchange;
  reports: FillReport[];
  heartbeats: { previous: string; returned: string }[];
  hub: MarketDataHub;
}

describe("the quoter against the venue simulator", () => {
  let venue: TestVenue;
  let market: VenueMarket;
  let ref: MarketDataRef;
  /** The quoter's key (fresh per test) and a second trader who trades against it. */
  let ours: Trader;
  let taker: Trader;
  /** The quoter's clock: the venue's, plus what a test skips (time passing without simulation steps). */
  let skewMs = 0;
  const clock = () => venue.now() + skewMs;
  const running: Quoter[] = [];
  const hubs: MarketDataHub[] = [];
  const takerOrders: string[] = [];

  beforeAll(async () => {
    venue = await startTestVenue({ heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
    venue.advance(5_000);
    taker = await newTrader(venue);
    market = openMarket(venue);
    ref = {
      slug: market.slug,
      conditionId: market.conditionId,
      upTokenId: market.tokenIds[0],
      downTokenId: market.tokenIds[1],
    };
  });

  beforeEach(async () => {
    ours = await newTrader(venue);
    skewMs = 0;
  });

  afterEach(async () => {
    await fetch(`${venue.urls.admin}/hold-orders`, { method: "DELETE" });
    for (const q of running.splice(0)) await q.stop();
    for (const id of takerOrders.splice(0)) await taker.client.cancelOrder({ orderID: id }).catch(() => {});
  });

  afterAll(async () => {
    await venue?.close();
  });

  function harness(overrides: Partial<QuoterDeps> = {}, requestTimeoutMs = 5_000): Harness {
    const exchange = new Exchange(
      { host: venue.urls.clob, chainId: 137, signer: ours.wallet, creds: ours.creds },
      { requestTimeoutMs },
    );
    const { venue: quoteVenue, heartbeat } = venueForQuoter(
      exchange,
      { ...ref, minOrderSize: market.minOrderSize },
      { now: clock },
    );
    const hub = new MarketDataHub({
      wsUrl: venue.urls.ws,
      apiCreds: ours.creds,
      now: clock,
      channel: FAST_CHANNELS,
    });
    hubs.push(hub);
    const reports: FillReport[] = [];
    const heartbeats: Harness["heartbeats"] = [];
    const quoter = new Quoter({
      market: { ...ref, minOrderSize: market.minOrderSize, feeExponent: market.feeExponent },
      params: { ...DEFAULT_QUOTING_PARAMS },
      hub,
      venue: quoteVenue,
      heartbeat: async (previous) => {
        const returned = await heartbeat(previous);
        heartbeats.push({ previous, returned });
        return returned;
      },
      report: (batch) => {
        reports.push(structuredClone(batch));
      },
      apiKey: ours.creds.key,
      refreshBudget: new RefreshBudget(),
      now: clock,
      heartbeatIntervalMs: 100,
      reportIntervalMs: 200,
      ...overrides,
    });
    running.push(quoter);
    return { quoter, exchange, reports, heartbeats, hub };
  }

  /** Our key's open orders in the market, at the venue. */
  async function venueOpen(h: Harness): Promise<RestOpenOrder[]> {
    return (await h.exchange.openOrders({ market: ref.conditionId })).filter(
      (o) => o.market === ref.conditionId,
    );
  }

  /** The venue's engine: the others' best prices on the Up axis (our own orders included). */
  const engine = () => venue.simulation.engine;

  /** Both quotes rest at the venue and the quoter knows them as live. */
  async function quoting(h: Harness): Promise<RestOpenOrder[]> {
    return waitFor(async () => {
      const open = await venueOpen(h);
      const live = h.quoter.liveOrders();
      return (
        open.length === 2 &&
        live.length === 2 &&
        open.every((o) => live.some((l) => l.orderId === o.id)) &&
        open
      );
    }, "both quotes to rest");
  }

  /** A post-only GTC order of the taker, cancelled after the test. */
  async function takerRests(tokenId: string, price: number, size: number): Promise<string> {
    const placed = await taker.client.postOrder(
      await taker.client.createOrder({ tokenID: tokenId, price, size, side: Side.BUY }),
      OrderType.GTC,
      true,
      true,
    );
    if (!placed.success) throw new Error(`taker order refused: ${placed.errorMsg}`);
    takerOrders.push(placed.orderID);
    return placed.orderID;
  }

  it("quotes both outcomes as post-only BUYs around the others' book, inside a wide spread", async () => {
    const h = harness();
    await h.quoter.start();
    const open = await quoting(h);

    const up = open.find((o) => o.tokenId === ref.upTokenId)!;
    const down = open.find((o) => o.tokenId === ref.downTokenId)!;
    expect(up.side).toBe("BUY");
    expect(down.side).toBe("BUY");
    // The others' book on the Up axis: bids = Up bids and Down asks at 1 − q; asks = Up asks and Down bids
    // at 1 − q; our own two orders taken out.
    const e = engine();
    const others = (token: string, side: "BUY" | "SELL", mine: RestOpenOrder) =>
      e
        .levels(token, side, 10)
        .map((l) => ({ price: l.price, size: l.price === mine.price ? l.size - mine.originalSize : l.size }))
        .filter((l) => l.size > 0)
        .map((l) => l.price);
    const bestBid = Math.max(
      ...others(ref.upTokenId, "BUY", up),
      ...e.levels(ref.downTokenId, "SELL", 10).map((l) => 1_000_000 - l.price),
    );
    const bestAsk = Math.min(
      ...e.levels(ref.upTokenId, "SELL", 10).map((l) => l.price),
      ...others(ref.downTokenId, "BUY", down).map((p) => 1_000_000 - p),
    );
    // A spread of at least IMPROVE_WHEN_SPREAD_TICKS (4): both quotes one tick inside it.
    expect(bestAsk - bestBid).toBeGreaterThanOrEqual(40_000);
    expect(up.price).toBe(bestBid + 10_000);
    expect(1_000_000 - down.price).toBe(bestAsk - 10_000);
    expect(up.price + down.price).toBeLessThan(1_000_000);
    // ORDER_SIZE (10 pUSD) each, floored to 0.01 share, at least the 5-share minimum.
    expect(up.originalSize).toBe(Math.floor((10_000_000 * 1_000_000) / up.price / 10_000) * 10_000);
    expect(down.originalSize).toBeGreaterThanOrEqual(5_000_000);
    // Every entry the venue received was post-only, in one batch of two.
    const entries = await adminOrders(ours.creds.key);
    expect(entries).toHaveLength(2);
    expect(entries.every((x) => x.postOnly && x.orderType === "GTC" && x.side === "BUY")).toBe(true);
  });

  it("re-quotes (cancel + place) when the book moves beyond the refresh threshold, not within it", async () => {
    const h = harness();
    await h.quoter.start();
    const first = await quoting(h);
    const up0 = first.find((o) => o.tokenId === ref.upTokenId)!;
    const down0 = first.find((o) => o.tokenId === ref.downTokenId)!;
    skewMs += 1_000; // past MIN_REFRESH_INTERVAL_MS, without moving the simulated market

    // Within: another bid one tick above the others' best (our bid's price): the spread narrows to 4 → 3
    // ticks, no improvement any more; our bid is 0 ticks away, our ask (1 − Down) 1 tick: both kept.
    const othersBid = up0.price - 10_000;
    const cyclesBefore = h.quoter.stats.cycles;
    await takerRests(ref.upTokenId, (othersBid + 10_000) / 1e6, 5);
    await waitFor(() => h.quoter.stats.cycles > cyclesBefore, "a cycle on the new book");
    await waitFor(async () => (await venueOpen(h)).length === 2, "our two quotes");
    expect((await venueOpen(h)).map((o) => o.id).sort()).toEqual([up0.id, down0.id].sort());
    expect(await adminOrders(ours.creds.key)).toHaveLength(2);

    // Beyond: another bid two ticks above our bid: the target bid moves 2 ticks (= the threshold): re-quoted.
    skewMs += 1_000;
    await takerRests(ref.upTokenId, (up0.price + 20_000) / 1e6, 5);
    const moved = await waitFor(async () => {
      const open = await venueOpen(h);
      const up = open.find((o) => o.tokenId === ref.upTokenId);
      return open.length === 2 && up && up.id !== up0.id && up;
    }, "the bid re-quoted");
    expect(moved.price).toBe(up0.price + 20_000);
    expect(await h.exchange.getOrder(up0.id)).toMatchObject({ status: expect.stringMatching(/CANCELED/i) });
    // The ask was within its threshold: kept.
    expect((await venueOpen(h)).some((o) => o.id === down0.id)).toBe(true);
  });

  it("refreshes a market no sooner than MIN_REFRESH_INTERVAL_MS, through the process's shared budget", async () => {
    const budget = new RefreshBudget();
    const h = harness({ refreshBudget: budget });
    await h.quoter.start();
    const first = await quoting(h);
    const up0 = first.find((o) => o.tokenId === ref.upTokenId)!;
    expect(budget.limiter.lastRefreshAtMs[ref.conditionId]).toBe(clock());
    // A move beyond the threshold at once (no time passed): the refresh waits.
    const cycles = h.quoter.stats.cycles;
    await takerRests(ref.upTokenId, (up0.price + 20_000) / 1e6, 5);
    await waitFor(() => h.quoter.stats.cycles > cycles, "a cycle on the new book");
    expect((await venueOpen(h)).map((o) => o.id).sort()).toEqual(first.map((o) => o.id).sort());
    // Once the interval has passed, the deferred refresh goes out by itself.
    skewMs += DEFAULT_QUOTING_PARAMS.minRefreshIntervalMs;
    const moved = await waitFor(async () => {
      const up = (await venueOpen(h)).find((o) => o.tokenId === ref.upTokenId);
      return up && up.id !== up0.id && up;
    }, "the deferred refresh");
    expect(moved.price).toBe(up0.price + 20_000);
    expect(budget.limiter.lastRefreshAtMs[ref.conditionId]).toBe(clock());
  });

  it("a fill on one side updates the inventory and is reported once", async () => {
    const h = harness();
    await h.quoter.start();
    const open = await quoting(h);
    const up = open.find((o) => o.tokenId === ref.upTokenId)!;
    // Our bid is alone at the best: a BUY of Down at 1 − bid matches it (a mint).
    const hit = await taker.client.postOrder(
      await taker.client.createOrder({
        tokenID: ref.downTokenId,
        price: (1_000_000 - up.price) / 1e6,
        size: 5,
        side: Side.BUY,
      }),
      OrderType.FAK,
      false,
      true,
    );
    const tradeId = hit.tradeIDs![0]!;
    await waitFor(
      () => h.reports.some((r) => r.fills.some((f) => f.tradeId === tradeId)),
      "the fill's report",
    );
    const inventory = h.quoter.details().inventory;
    expect(inventory.up.netShares).toBe(5_000_000);
    expect(inventory.up.cost).toBe((5 * up.price) as number);
    expect(inventory.down.netShares).toBe(0);

    // Later frames, a reconcile that reads the trade back over REST (as after a reconnect), and the
    // final report of stop() do not repeat it.
    const cycles = h.quoter.stats.cycles;
    await takerRests(ref.upTokenId, 0.05, 5);
    await waitFor(() => h.quoter.stats.cycles > cycles, "more cycles");
    const reconciles = h.quoter.stats.reconciles;
    h.quoter.onUserOpen();
    await waitFor(() => h.quoter.stats.reconciles > reconciles, "a reconcile");
    await h.quoter.stop();
    expect(h.quoter.details().inventory.up.netShares).toBe(5_000_000);
    const sightings = h.reports.flatMap((r) => r.fills).filter((f) => f.tradeId === tradeId);
    expect(sightings).toEqual([
      expect.objectContaining({
        orderId: up.id,
        role: "MAKER",
        side: "BUY",
        size: 5_000_000,
        status: "MATCHED",
      }),
    ]);
    const report = h.reports.find((r) => r.fills.some((f) => f.tradeId === tradeId))!;
    expect(report.netShares).toBe(5_000_000);
    expect(report.liability).toBe(5 * up.price);
  });

  it("a restart with resume details cancels the orders it does not own and rebuilds inventory from the venue's trades", async () => {
    const a = harness();
    await a.quoter.start();
    const open = await quoting(a);
    const up = open.find((o) => o.tokenId === ref.upTokenId)!;
    // Details heartbeated before the fill: the fill is not in them.
    const resume = structuredClone(a.quoter.details());
    expect(resume.ownOrderIds.sort()).toEqual(open.map((o) => o.id).sort());
    await taker.client.postOrder(
      await taker.client.createOrder({
        tokenID: ref.downTokenId,
        price: (1_000_000 - up.price) / 1e6,
        size: 5,
        side: Side.BUY,
      }),
      OrderType.FAK,
      false,
      true,
    );
    await waitFor(() => a.quoter.details().inventory.up.netShares === 5_000_000, "the fill in A");
    // The process dies: no cancel, no more heartbeats.
    await a.quoter.abandon();
    // An order of our key in this market that the quoter does not own.
    const stray = await ours.client.postOrder(
      await ours.client.createOrder({ tokenID: ref.upTokenId, price: 0.05, size: 5, side: Side.BUY }),
      OrderType.GTC,
      true,
      true,
    );

    const b = harness({ resume });
    await b.quoter.start();
    expect(await b.exchange.getOrder(stray.orderID)).toMatchObject({
      status: expect.stringMatching(/CANCELED/i),
    });
    const after = await waitFor(async () => {
      const o = await venueOpen(b);
      return o.length === 2 && o;
    }, "B's quotes");
    // A's quotes were adopted, not replaced (the book did not move).
    expect(after.map((o) => o.id).sort()).toEqual(open.map((o) => o.id).sort());
    expect(b.quoter.details().inventory.up.netShares).toBe(5_000_000);
    expect(b.quoter.details().inventory).toEqual(a.quoter.details().inventory);
    // Heartbeats chained on from A's last id.
    expect(b.heartbeats[0]!.previous).toBe(resume.lastHeartbeatId);
  });

  it("sends chained venue heartbeats; once they stop, the venue cancels the quotes", async () => {
    // Quotes 9 ticks behind the others' best, so that no simulated taker fills them meanwhile.
    const h = harness({ params: { ...DEFAULT_QUOTING_PARAMS, quoteOffsetTicks: 10 } });
    await h.quoter.start();
    const open = await quoting(h);
    await waitFor(() => h.heartbeats.length >= 3, "three heartbeats");
    expect(h.heartbeats[0]!.previous).toBe("");
    for (let i = 1; i < h.heartbeats.length; i++) {
      expect(h.heartbeats[i]!.previous).toBe(h.heartbeats[i - 1]!.returned);
    }
    // The process dies: its orders stay at the venue, and so would they without the dead-man switch.
    await h.quoter.abandon();
    venue.advance(HEARTBEAT_TIMEOUT_MS - 500);
    const before = await venueOpen(h);
    expect(before.map((o) => o.id).sort()).toEqual(open.map((o) => o.id).sort());
    venue.advance(1_000);
    expect(await venueOpen(h)).toEqual([]);
    for (const o of open) {
      expect(await h.exchange.getOrder(o.id)).toMatchObject({ status: expect.stringMatching(/CANCELED/i) });
    }
  });

  it("an unknown batch outcome is read back, not resent", async () => {
    // The first order request of our key is held 1.5 s at the venue; the client gives up after 300 ms.
    await fetch(`${venue.urls.admin}/hold-orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ms: 1_500, count: 1, owner: ours.creds.key }),
    });
    const h = harness({}, 300);
    await h.quoter.start();
    await waitFor(() => h.quoter.stats.unknownOutcomes === 1, "the timed-out batch");
    // Time passes (the refresh interval with it): only the orders in doubt hold a new batch back.
    skewMs += 1_000;
    // The held orders land; the quoter finds them and keeps them.
    const open = await quoting(h);
    const entries = await adminOrders(ours.creds.key);
    expect(entries).toHaveLength(2);
    expect(entries.map((x) => x.orderHash).sort()).toEqual(open.map((o) => o.id).sort());
    expect(h.quoter.stats.batchesSent).toBe(1);
    // More books: still the same two orders.
    skewMs += 1_000;
    const cycles = h.quoter.stats.cycles;
    await takerRests(ref.upTokenId, 0.05, 5);
    await waitFor(() => h.quoter.stats.cycles > cycles, "another cycle");
    expect(await adminOrders(ours.creds.key)).toHaveLength(2);
  });

  it("momentum (last trades moving 3+ ticks within the window) cancels the quotes at once", async () => {
    const h = harness();
    await h.quoter.start();
    await quoting(h);
    skewMs += 1_000;
    const mover = await newTrader(venue);
    const buyUp = async (price: number, size: number) =>
      mover.client.postOrder(
        await mover.client.createOrder({ tokenID: ref.upTokenId, price, size, side: Side.BUY }),
        OrderType.FAK,
        false,
        true,
      );
    const e = engine();
    const ask = e.bestAsk(ref.upTokenId)!.price;
    const frames = h.quoter.stats.marketFrames;
    // A trade at the best ask, then one four ticks higher: the second eats everything up to it.
    await buyUp(ask / 1e6, 5);
    const depth = e
      .levels(ref.upTokenId, "SELL", 10)
      .filter((l) => l.price <= ask + 40_000)
      .reduce((sum, l) => sum + l.size, 0);
    await buyUp((ask + 40_000) / 1e6, Math.ceil(depth / 1e6) + 5);
    await waitFor(() => h.quoter.stats.marketFrames > frames, "the trades");
    await waitFor(async () => (await venueOpen(h)).length === 0, "our quotes cancelled");
    expect(h.quoter.liveOrders()).toEqual([]);
    // No quote while the cooldown runs, whatever the book does.
    const cycles = h.quoter.stats.cycles;
    await takerRests(ref.upTokenId, 0.05, 5);
    await waitFor(() => h.quoter.stats.cycles > cycles, "another cycle");
    expect(await venueOpen(h)).toEqual([]);
  });

  it("a user-channel disconnect halts quoting and cancels everything", async () => {
    const h = harness();
    await h.quoter.start();
    await quoting(h);
    h.quoter.onUserClose();
    await waitFor(async () => (await venueOpen(h)).length === 0, "our quotes cancelled");
    expect(h.quoter.status).toBe("halted");
    // A new book: no quote while halted.
    skewMs += 1_000;
    const frames = h.quoter.stats.marketFrames;
    const cycles = h.quoter.stats.cycles;
    await takerRests(ref.upTokenId, 0.05, 5);
    await waitFor(() => h.quoter.stats.marketFrames > frames, "the new book");
    await waitFor(
      async () => h.quoter.status === "halted" && (await venueOpen(h)).length === 0,
      "still nothing",
    );
    expect(h.quoter.stats.cycles).toBe(cycles);
  });

  it("stop() cancels every quote and releases the market data", async () => {
    const h = harness();
    await h.quoter.start();
    await quoting(h);
    await h.quoter.stop();
    expect(await venueOpen(h)).toEqual([]);
    expect(h.quoter.status).toBe("stopped");
    await waitFor(async () => {
      const state = (await (await fetch(`${venue.urls.admin}/state`)).json()) as {
        connections: { market: number; user: number };
      };
      return state.connections.market + state.connections.user === 0;
    }, "the connections to close");
  });

  async function adminOrders(owner: string) {
    const res = await fetch(`${venue.urls.admin}/orders?owner=${encodeURIComponent(owner)}`);
    return (
      (await res.json()) as {
        orders: { orderHash: string; postOnly: boolean; orderType: string; side: string }[];
      }
    ).orders;
  }
});
