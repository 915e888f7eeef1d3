/**
 * The process's shared market data (src/streaming/market-data.ts) against the real venue simulator (loopback,
 * manual clock): consumers of one market share one connection per channel (the venue's own count,
 * /admin/state), see the same frames in the same order, and outlive each other; a throwing consumer harms no
 * other; and the market feed, as one consumer among others, keeps its behaviour.
 */
import { OrderType, Side } from "@polymarket/clob-client-v2";
import {
  type MarketFeedDeps,
  runMarketFeed,
  type StreamMarketResult,
} from "../../activities/streaming/market-feed";
import { Exchange } from "../../src/polymarket/exchange";
import type { OrderEvent } from "../../src/protocol/user";
import type { MarketBookSnapshot, OurFill, PriceLevel, ReconcileSnapshot } from "../../src/session/messages";
import { SIGNALS, workflowIds } from "../../src/session/messages";
import {
  type MarketDataConsumer,
  MarketDataHub,
  type MarketDataLease,
  type MarketDataRef,
  type MarketDataStream,
} from "../../src/streaming/market-data";
import type { VenueMarket } from "../../src/venue/types";
import { RecordingLogger } from "../helpers/logger";
import { newTrader, openMarket, startTestVenue, type TestVenue, type Trader } from "../helpers/venue";

/** Polls a condition (no fixed sleeps): resolves with its first truthy value. */
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

interface Tops {
  up: { bids: PriceLevel[]; asks: PriceLevel[] };
  down: { bids: PriceLevel[]; asks: PriceLevel[] };
}

function topsOf(stream: MarketDataStream, ref: MarketDataRef): Tops | undefined {
  const up = stream.books.get(ref.upTokenId);
  const down = stream.books.get(ref.downTokenId);
  if (!up?.isSynced || !down?.isSynced) return undefined;
  return {
    up: { bids: up.topBids(5), asks: up.topAsks(5) },
    down: { bids: down.topBids(5), asks: down.topAsks(5) },
  };
}

/** A consumer that records, after each frame, what it read from the shared books, and what the user channel said. */
class RecordingConsumer implements MarketDataConsumer {
  /** One entry per market frame: its receive time and the books as this consumer read them then. */
  readonly books: { receivedAtMs: number; tops: Tops | undefined }[] = [];
  readonly orders: OrderEvent[] = [];
  readonly fills: OurFill[] = [];
  userOpens = 0;
  stream: MarketDataStream | undefined;

  constructor(
    readonly name: string,
    private readonly ref: MarketDataRef,
    private readonly throwOn: { market?: boolean; user?: boolean } = {},
  ) {}

  onMarketFrame(update: { receivedAtMs: number }): void {
    this.books.push({ receivedAtMs: update.receivedAtMs, tops: topsOf(this.stream!, this.ref) });
    if (this.throwOn.market) throw new Error("boom on a book");
  }

  onUserFrame(update: { orders: readonly OrderEvent[]; fills: readonly OurFill[] }): void {
    this.orders.push(...update.orders);
    this.fills.push(...update.fills);
    if (this.throwOn.user) throw new Error("boom on a fill");
  }

  onUserOpen(): void {
    this.userOpens += 1;
  }

  userCloses = 0;
  onUserClose(): void {
    this.userCloses += 1;
  }
}

const FAST_CHANNELS = { backoff: { baseMs: 20, capMs: 200 }, closeTimeoutMs: 500 };

describe("market data shared in one process, against the venue simulator", () => {
  let venue: TestVenue;
  let trader: Trader;
  let market: VenueMarket;
  let ref: MarketDataRef;
  let hub: MarketDataHub;
  let logger: RecordingLogger;
  const leases: MarketDataLease[] = [];
  /** Feeds a test started, stopped after it even when it failed midway. */
  const feeds: { abort: AbortController; result: Promise<StreamMarketResult> }[] = [];

  function acquire(consumer: RecordingConsumer): MarketDataLease {
    const lease = hub.acquire(ref, consumer);
    consumer.stream = lease.stream;
    leases.push(lease);
    return lease;
  }

  async function connections(): Promise<{ market: number; user: number }> {
    const state = (await (await fetch(`${venue.urls.admin}/state`)).json()) as {
      connections: { market: number; user: number };
    };
    return state.connections;
  }

  /** The venue's own top five levels of both tokens, as a consumer reads them. */
  function venueTops(): Tops {
    const engine = venue.simulation.engine;
    const top = (token: string) => ({
      bids: engine.levels(token, "BUY", 5),
      asks: engine.levels(token, "SELL", 5),
    });
    return { up: top(ref.upTokenId), down: top(ref.downTokenId) };
  }

  const settled = (consumer: RecordingConsumer) =>
    JSON.stringify(consumer.books.at(-1)?.tops) === JSON.stringify(venueTops());

  beforeAll(async () => {
    venue = await startTestVenue();
    venue.advance(5_000);
    trader = await newTrader(venue);
    market = openMarket(venue);
    ref = {
      slug: market.slug,
      conditionId: market.conditionId,
      upTokenId: market.tokenIds[0],
      downTokenId: market.tokenIds[1],
    };
  });

  beforeEach(() => {
    logger = new RecordingLogger();
    hub = new MarketDataHub({
      wsUrl: venue.urls.ws,
      apiCreds: trader.creds,
      logger,
      now: () => venue.now(),
      channel: FAST_CHANNELS,
    });
  });

  afterEach(async () => {
    venue.faults.reset();
    for (const feed of feeds.splice(0)) {
      feed.abort.abort();
      await feed.result;
    }
    await Promise.all(leases.splice(0).map((lease) => lease.release()));
    await waitFor(async () => {
      const c = await connections();
      return c.market + c.user === 0;
    }, "every connection of the test to close");
  });

  afterAll(async () => {
    await venue?.close();
  });

  it("tells every consumer when the user channel closes, and again when it is back", async () => {
    const a = new RecordingConsumer("a", ref);
    const b = new RecordingConsumer("b", ref);
    acquire(a);
    acquire(b);
    await waitFor(() => a.userOpens >= 1 && b.userOpens >= 1, "the user channel open");
    const opens = a.userOpens;
    const dropped = await fetch(`${venue.urls.admin}/drop-connections`, { method: "POST" });
    expect(dropped.ok).toBe(true);
    await waitFor(() => a.userCloses === 1 && b.userCloses === 1, "both told of the close");
    await waitFor(() => a.userOpens > opens && b.userOpens > opens, "both told it is back");
  });

  it("two consumers of one market share ONE market connection and see the same book sequence", async () => {
    const a = new RecordingConsumer("a", ref);
    const b = new RecordingConsumer("b", ref);
    const leaseA = acquire(a);
    acquire(b);
    await waitFor(() => settled(a), "the first books");

    // Thirty simulation steps: a burst of book changes.
    venue.advance(3_000);
    const stream = leaseA.stream;
    await waitFor(
      () => settled(a) && a.books.length === stream.stats.market.messagesReceived,
      "the books to settle on the venue's",
    );

    expect(await connections()).toEqual({ market: 1, user: 1 });
    // Every frame reached both, in the same order, and both read the same books after each.
    expect(a.books.length).toBeGreaterThan(10);
    expect(b.books).toEqual(a.books);
    for (let i = 1; i < a.books.length; i++) {
      expect(a.books[i]!.receivedAtMs).toBeGreaterThanOrEqual(a.books[i - 1]!.receivedAtMs);
    }
  });

  it("releasing one consumer keeps the other running; releasing both closes the connections", async () => {
    const a = new RecordingConsumer("a", ref);
    const b = new RecordingConsumer("b", ref);
    const leaseA = acquire(a);
    const leaseB = acquire(b);
    await waitFor(() => settled(a) && settled(b) && b.userOpens === 1, "both up");

    await leaseA.release();
    const framesOfA = a.books.length;
    venue.advance(2_000);
    await waitFor(() => settled(b), "b to follow the venue after a left");
    expect(a.books).toHaveLength(framesOfA);
    expect(await connections()).toEqual({ market: 1, user: 1 });

    await leaseB.release();
    const closed = await waitFor(
      async () => {
        const c = await connections();
        return c.market + c.user === 0 && c;
      },
      "the connections to close",
      5_000,
    );
    expect(closed).toEqual({ market: 0, user: 0 });
  });

  it("a consumer that throws breaks no other: each throw is one clear error line, and no frame is lost", async () => {
    const thrower = new RecordingConsumer("quoter", ref, { market: true, user: true });
    const steady = new RecordingConsumer("steady", ref);
    // Subscribed first: without the guard, its throws would keep every frame from the steady one.
    const lease = acquire(thrower);
    acquire(steady);
    await waitFor(() => settled(steady), "the first books");
    venue.advance(1_000);
    await waitFor(
      () => settled(steady) && steady.books.length === lease.stream.stats.market.messagesReceived,
      "the steady consumer to follow the venue",
    );
    // The thrower was handed every frame too, and read the same books each time.
    expect(thrower.books).toEqual(steady.books);

    // A fill of ours on the user channel: the thrower throws on it as well.
    const ask = venue.simulation.engine.bestAsk(ref.upTokenId)!.price;
    const placed = await trader.client.postOrder(
      await trader.client.createOrder({
        tokenID: ref.upTokenId,
        price: (ask + 20_000) / 1e6,
        size: 5,
        side: Side.BUY,
      }),
      OrderType.FAK,
      false,
      true,
    );
    const tradeId = placed.tradeIDs![0]!;
    await waitFor(() => steady.fills.some((f) => f.tradeId === tradeId), "the steady consumer's fill");
    expect(thrower.fills).toEqual(steady.fills);

    const errors = logger.lines.filter((l) => l.level === "error");
    const bookThrows = errors.filter((l) => l.msg.includes("threw on a market frame"));
    expect(bookThrows).toHaveLength(thrower.books.length);
    expect(bookThrows[0]).toEqual({
      level: "error",
      msg: 'market data consumer "quoter" threw on a market frame: boom on a book',
      obj: expect.objectContaining({ consumer: "quoter", slug: ref.slug, market: ref.conditionId }),
    });
    expect(
      errors.some((l) => l.msg === 'market data consumer "quoter" threw on a user frame: boom on a fill'),
    ).toBe(true);
    expect(errors.every((l) => !l.msg.includes("\n"))).toBe(true);
  });

  it("keeps the user channel's view: our fills once each (however often the venue repeats a frame), our orders' states", async () => {
    const a = new RecordingConsumer("a", ref);
    const b = new RecordingConsumer("b", ref);
    const lease = acquire(a);
    acquire(b);
    await waitFor(() => a.userOpens === 1 && b.userOpens === 1, "the user channel");
    // Every frame twice from now on.
    venue.faults.update({ duplicateFrameRate: 1 });

    const ask = venue.simulation.engine.bestAsk(ref.upTokenId)!.price;
    const bought = await trader.client.postOrder(
      await trader.client.createOrder({
        tokenID: ref.upTokenId,
        price: (ask + 20_000) / 1e6,
        size: 5,
        side: Side.BUY,
      }),
      OrderType.FAK,
      false,
      true,
    );
    const tradeId = bought.tradeIDs![0]!;
    const resting = await trader.client.postOrder(
      await trader.client.createOrder({ tokenID: ref.downTokenId, price: 0.05, size: 10, side: Side.BUY }),
      OrderType.GTC,
      true,
      true,
    );
    await waitFor(() => a.orders.some((o) => o.orderId === resting.orderID), "the resting order's event");
    await trader.client.cancelOrder({ orderID: resting.orderID });
    await waitFor(
      () => lease.stream.ourOrders.get(resting.orderID)?.status === "CANCELED",
      "the cancel in the view",
    );

    const ours = a.fills.filter((f) => f.tradeId === tradeId);
    expect(ours).toEqual([
      expect.objectContaining({
        tradeId,
        orderId: bought.orderID,
        tokenId: ref.upTokenId,
        side: "BUY",
        role: "TAKER",
        size: 5_000_000,
        status: "MATCHED",
      }),
    ]);
    expect(b.fills).toEqual(a.fills);
    expect([...lease.stream.ourFills.values()]).toEqual(a.fills);
    expect(b.orders).toEqual(a.orders);
    expect(lease.stream.ourOrders.get(resting.orderID)).toMatchObject({
      side: "BUY",
      price: 50_000,
      originalSize: 10_000_000,
      status: "CANCELED",
    });
  });

  it("a market feed joining a running stream gets the current book and reconciles at once, over the same connection", async () => {
    const quoter = new RecordingConsumer("quoter", ref);
    acquire(quoter);
    await waitFor(() => settled(quoter) && quoter.userOpens === 1, "the quoter's stream");

    const calls: { name: string; payload: unknown }[] = [];
    const abort = new AbortController();
    const deps: MarketFeedDeps = {
      marketData: hub,
      wsUrl: venue.urls.ws,
      exchangeFor: async () =>
        new Exchange({ host: venue.urls.clob, chainId: 137, signer: trader.wallet, creds: trader.creds }),
      apiCreds: trader.creds,
      signal: async (_workflowId, name, payload) => {
        await new Promise((resolve) => setImmediate(resolve));
        calls.push({ name, payload: structuredClone(payload) });
      },
      now: () => venue.now(),
      cancellationSignal: abort.signal,
      heartbeatIntervalMs: 50,
    };
    const result: Promise<StreamMarketResult> = runMarketFeed(
      {
        ...ref,
        endMs: market.endMs,
        sessionWorkflowId: workflowIds.session(market.slug),
        minSignalIntervalMs: 50,
      },
      deps,
    );
    feeds.push({ abort, result });
    // No frame comes while the clock stands still: the feed's first book is the stream's current one.
    const first = await waitFor(
      () => calls.find((c) => c.name === SIGNALS.marketBook)?.payload as MarketBookSnapshot | undefined,
      "the feed's first book",
    );
    expect({ up: first.up, down: first.down }).toEqual(venueTops());
    await waitFor(() => calls.some((c) => c.name === SIGNALS.reconcile), "the feed's reconcile at start");
    expect(calls.filter((c) => c.name === SIGNALS.reconcile)).toHaveLength(1);
    expect((calls.find((c) => c.name === SIGNALS.reconcile)!.payload as ReconcileSnapshot).atMs).toBe(
      venue.now(),
    );
    expect(await connections()).toEqual({ market: 1, user: 1 });

    // Later frames reach both.
    venue.advance(1_000);
    await waitFor(() => settled(quoter), "the quoter to follow the venue");
    await waitFor(() => {
      const last = calls.filter((c) => c.name === SIGNALS.marketBook).at(-1)?.payload as MarketBookSnapshot;
      return JSON.stringify({ up: last.up, down: last.down }) === JSON.stringify(venueTops());
    }, "the feed to follow the venue");

    // The feed ends; the quoter's stream stays.
    abort.abort();
    expect((await result).endReason).toBe("aborted");
    expect(await connections()).toEqual({ market: 1, user: 1 });
    const framesBefore = quoter.books.length;
    venue.advance(500);
    await waitFor(() => quoter.books.length > framesBefore, "the quoter's next frame");
  });
});
