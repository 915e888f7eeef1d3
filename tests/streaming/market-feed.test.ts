/**
 * The market feed against the real venue simulator (loopback, manual clock): the real ChannelClients, the
 * real Exchange adapter for reconciles, and a fake `signal` that records what the session would receive.
 */
import type { AddressInfo } from "node:net";
import { OrderType, Side } from "@polymarket/clob-client-v2";
import { CancelledFailure, WorkflowNotFoundError } from "@temporalio/common";
import { MockActivityEnvironment } from "@temporalio/testing";
import { type WebSocket, WebSocketServer } from "ws";
import {
  classifySignalError,
  createStreamingActivities,
  type MarketFeedDeps,
  type ReconcileSource,
  runMarketFeed,
  type StreamMarketInput,
  type StreamMarketResult,
} from "../../activities/streaming/market-feed";
import { Exchange } from "../../src/polymarket/exchange";
import type { MarketBookSnapshot, OurFill, PriceLevel, ReconcileSnapshot } from "../../src/session/messages";
import { SIGNALS, workflowIds } from "../../src/session/messages";
import type { FeedHeartbeatDetails } from "../../src/streaming/resume";
import type { VenueMarket } from "../../src/venue/types";
import { RecordingLogger } from "../helpers/logger";
import { newTrader, startTestVenue, type TestVenue, type Trader } from "../helpers/venue";

/** Polls a condition (no fixed sleeps): resolves with its first truthy value. */
async function waitFor<T>(
  probe: () => T | undefined | null | false,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface SignalCall {
  workflowId: string;
  name: string;
  payload: unknown;
}

/** The fake `signal`: records every delivered signal; `failWith` may refuse some. */
class SignalRecorder {
  readonly calls: SignalCall[] = [];
  attempts = 0;
  failWith: ((name: string, payload: unknown) => Error | undefined) | undefined;

  readonly signal = async (workflowId: string, name: string, payload: unknown): Promise<void> => {
    this.attempts += 1;
    // A real signal is a network round trip: never settle synchronously.
    await new Promise((resolve) => setImmediate(resolve));
    const error = this.failWith?.(name, payload);
    if (error) throw error;
    this.calls.push({ workflowId, name, payload: structuredClone(payload) });
  };

  of<T>(name: string): T[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.payload as T);
  }

  books(): MarketBookSnapshot[] {
    return this.of<MarketBookSnapshot>(SIGNALS.marketBook);
  }
  fills(): OurFill[][] {
    return this.of<OurFill[]>(SIGNALS.fills);
  }
  reconciles(): ReconcileSnapshot[] {
    return this.of<ReconcileSnapshot>(SIGNALS.reconcile);
  }
}

const FAST_CHANNELS = { backoff: { baseMs: 20, capMs: 200 }, closeTimeoutMs: 500 };

function inputFor(market: VenueMarket, overrides: Partial<StreamMarketInput> = {}): StreamMarketInput {
  return {
    slug: market.slug,
    conditionId: market.conditionId,
    upTokenId: market.tokenIds[0],
    downTokenId: market.tokenIds[1],
    endMs: market.endMs,
    sessionWorkflowId: workflowIds.session(market.slug),
    minSignalIntervalMs: 50,
    ...overrides,
  };
}

interface RunningFeed {
  signals: SignalRecorder;
  heartbeats: FeedHeartbeatDetails[];
  logger: RecordingLogger;
  abort: AbortController;
  result: Promise<StreamMarketResult>;
}

const sameLevels = (a: readonly PriceLevel[], b: readonly PriceLevel[]) =>
  a.length === b.length && a.every((level, i) => level.price === b[i]!.price && level.size === b[i]!.size);

describe("market feed against the venue simulator", () => {
  let venue: TestVenue;
  let trader: Trader;
  let market: VenueMarket;
  let up: string;
  let down: string;
  let exchange: Exchange;
  const running: RunningFeed[] = [];

  function startFeed(
    overrides: Partial<MarketFeedDeps> = {},
    inputOverrides: Partial<StreamMarketInput> = {},
  ): RunningFeed {
    const signals = new SignalRecorder();
    const heartbeats: FeedHeartbeatDetails[] = [];
    const logger = new RecordingLogger();
    const abort = new AbortController();
    const result = runMarketFeed(inputFor(market, inputOverrides), {
      wsUrl: venue.urls.ws,
      exchangeFor: async () => exchange,
      apiCreds: trader.creds,
      signal: signals.signal,
      logger,
      now: () => venue.now(),
      heartbeat: (details) => heartbeats.push(details),
      cancellationSignal: abort.signal,
      heartbeatIntervalMs: 50,
      channel: FAST_CHANNELS,
      ...overrides,
    });
    const feed = { signals, heartbeats, logger, abort, result };
    running.push(feed);
    return feed;
  }

  /** Top of the venue's own book, the way a snapshot shows it. */
  function venueTop(token: string) {
    const engine = venue.simulation.engine;
    return { bids: engine.levels(token, "BUY", 5), asks: engine.levels(token, "SELL", 5) };
  }

  function matchesVenue(snapshot: MarketBookSnapshot | undefined): boolean {
    if (!snapshot) return false;
    const u = venueTop(up);
    const d = venueTop(down);
    return (
      sameLevels(snapshot.up.bids, u.bids) &&
      sameLevels(snapshot.up.asks, u.asks) &&
      sameLevels(snapshot.down.bids, d.bids) &&
      sameLevels(snapshot.down.asks, d.asks)
    );
  }

  async function crossingBuy(token: string, size: number) {
    const ask = venue.simulation.engine.bestAsk(token)!.price;
    const order = await trader.client.createOrder({
      tokenID: token,
      price: (ask + 20_000) / 1e6,
      size,
      side: Side.BUY,
    });
    const placed = await trader.client.postOrder(order, OrderType.FAK, false, true);
    expect(placed).toMatchObject({ success: true, status: "matched" });
    expect(placed.tradeIDs).toHaveLength(1);
    return { orderId: placed.orderID, tradeId: placed.tradeIDs![0]! };
  }

  beforeAll(async () => {
    venue = await startTestVenue();
    venue.advance(5_000);
    trader = await newTrader(venue);
    const open = venue.simulation
      .markets()
      .find((m) => venue.simulation.engine.marketStatus(m.conditionId) === "open");
    if (!open) throw new Error("no open market");
    market = open;
    [up, down] = market.tokenIds;
    exchange = new Exchange({
      host: venue.urls.clob,
      chainId: 137,
      signer: trader.wallet,
      creds: trader.creds,
    });
  });

  afterEach(async () => {
    for (const feed of running.splice(0)) {
      feed.abort.abort();
      await feed.result;
    }
  });

  afterAll(async () => {
    await venue?.close();
  });

  it("sends conflated book snapshots, seq increasing, that end up equal to the venue's book", async () => {
    const feed = startFeed();
    const first = await waitFor(() => feed.signals.books()[0], "the first snapshot");
    expect(first.seq).toBe(1);
    expect(matchesVenue(first)).toBe(true);
    expect(first.tickSize).toBe(market.tickSize);

    // Thirty simulation steps at once: a burst of book changes.
    venue.advance(3_000);
    const engine = venue.simulation.engine;
    await waitFor(
      () => matchesVenue(feed.signals.books().at(-1)),
      "the snapshot to settle on the venue's book",
    );

    const books = feed.signals.books();
    for (let i = 1; i < books.length; i++) {
      expect(books[i]!.seq).toBeGreaterThan(books[i - 1]!.seq);
      expect(books[i]!.receivedAtMs).toBeGreaterThanOrEqual(books[i - 1]!.receivedAtMs);
    }
    const last = books.at(-1)!;
    expect(last.up.bids[0]).toEqual(engine.bestBid(up));
    expect(last.up.asks[0]).toEqual(engine.bestAsk(up));
    expect(last.down.bids[0]).toEqual(engine.bestBid(down));
    expect(last.down.asks[0]).toEqual(engine.bestAsk(down));
    expect(last.up.bids.length).toBeLessThanOrEqual(5);
    expect(last.venueAtMs).toBeLessThanOrEqual(venue.now());
    for (const snapshot of books)
      expect(snapshot).toMatchObject({ up: expect.any(Object), down: expect.any(Object) });
    expect(feed.signals.calls.every((c) => c.workflowId === `session-${market.slug}`)).toBe(true);

    feed.abort.abort();
    const result = await feed.result;
    // Conflated: far fewer snapshots than book-changing frames.
    const bookFrames =
      (result.frames.market.decoded.price_change ?? 0) + (result.frames.market.decoded.book ?? 0);
    expect(result.snapshotsSent).toBe(books.length);
    expect(result.snapshotsSent).toBeLessThan(bookFrames);
    expect(result.conflation.conflated).toBeGreaterThan(0);
    expect(result.lastSeq).toBe(last.seq);
  });

  it("signals our trade exactly once as a fill, with the venue's size, price and fee rate", async () => {
    const feed = startFeed();
    await waitFor(() => feed.signals.reconciles()[0], "the reconcile at start");

    const first = await crossingBuy(up, 5);
    const second = await crossingBuy(down, 6);
    // The user channel is ordered: once the second trade is in, everything about the first has arrived.
    await waitFor(
      () => feed.signals.fills().some((batch) => batch.some((f) => f.tradeId === second.tradeId)),
      "the second fill",
    );
    const fills = feed.signals.fills().flat();
    const firstFills = fills.filter((f) => f.tradeId === first.tradeId);
    expect(firstFills).toHaveLength(1);
    const trade = venue.simulation.engine.getTrade(first.tradeId)!;
    expect(firstFills[0]).toEqual({
      tradeId: first.tradeId,
      orderId: first.orderId,
      tokenId: up,
      side: "BUY",
      role: "TAKER",
      price: trade.price,
      size: 5_000_000,
      // fee_rate_bps × 100: the venue's 0.07 as 700 bps.
      feeRate: market.feeRate,
      status: "MATCHED",
      atMs: Math.floor(trade.matchTimeMs / 1000) * 1000,
    });
    expect(fills.filter((f) => f.tradeId === second.tradeId)).toEqual([
      expect.objectContaining({ orderId: second.orderId, tokenId: down, size: 6_000_000, role: "TAKER" }),
    ]);

    // Settlement moves on: each later status is one more fill signal for the same leg.
    venue.advance(6_000);
    await waitFor(
      () =>
        feed.signals
          .fills()
          .flat()
          .some((f) => f.tradeId === first.tradeId && f.status === "CONFIRMED"),
      "CONFIRMED",
    );
    const statuses = feed.signals
      .fills()
      .flat()
      .filter((f) => f.tradeId === first.tradeId)
      .map((f) => f.status);
    expect(statuses).toEqual(["MATCHED", "MINED", "CONFIRMED"]);
  });

  it("reconnects after the venue drops every connection, and reconciles with our fills and open orders", async () => {
    const feed = startFeed();
    const atStart = await waitFor(() => feed.signals.reconciles()[0], "the reconcile at start");
    const bought = await crossingBuy(up, 5);
    await waitFor(
      () =>
        feed.signals
          .fills()
          .flat()
          .some((f) => f.tradeId === bought.tradeId),
      "the fill of our trade",
    );
    // A resting bid, far from the touch.
    const resting = await trader.client.postOrder(
      await trader.client.createOrder({ tokenID: down, price: 0.05, size: 10, side: Side.BUY }),
      OrderType.GTC,
      true,
      true,
    );
    expect(resting.status).toBe("live");
    const booksBefore = feed.signals.books().length;

    const response = await fetch(`${venue.urls.admin}/drop-connections`, { method: "POST" });
    expect(((await response.json()) as { dropped: number }).dropped).toBeGreaterThanOrEqual(2);

    const after = await waitFor(() => feed.signals.reconciles()[1], "a reconcile after the reconnect");
    expect(after.atMs).toBeGreaterThanOrEqual(atStart.atMs);
    expect(after.fills).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          tradeId: bought.tradeId,
          orderId: bought.orderId,
          role: "TAKER",
          size: 5_000_000,
          feeRate: market.feeRate,
        }),
      ]),
    );
    expect(after.openOrders).toEqual(
      expect.arrayContaining([
        {
          orderId: resting.orderID,
          tokenId: down,
          side: "BUY",
          price: 50_000,
          size: 10_000_000,
          sizeMatched: 0,
        },
      ]),
    );

    // The market channel is back too: the next changes arrive as snapshots.
    venue.advance(1_000);
    await waitFor(
      () => feed.signals.books().length > booksBefore && matchesVenue(feed.signals.books().at(-1)),
      "snapshots after the reconnect",
    );
    await trader.client.cancelOrder({ orderID: resting.orderID });

    feed.abort.abort();
    const result = await feed.result;
    expect(result.reconnects.user).toBeGreaterThanOrEqual(1);
    expect(result.reconnects.market).toBeGreaterThanOrEqual(1);
    expect(result.reconciles).toBeGreaterThanOrEqual(2);
  });

  it("heartbeats lastSeq, and a second attempt given those details numbers above it", async () => {
    const firstRun = startFeed();
    await waitFor(() => firstRun.signals.books()[0], "the first snapshot");
    venue.advance(1_000);
    await waitFor(() => matchesVenue(firstRun.signals.books().at(-1)), "the book to settle");
    const details = await waitFor(
      () => [...firstRun.heartbeats].reverse().find((h) => h.lastSeq > 1 && h.lastReconcileAtMs !== null),
      "a heartbeat with a seq and a reconcile",
    );
    expect(details.framesReceived).toBeGreaterThan(0);
    expect(details.tickSizes).toEqual({ [up]: market.tickSize, [down]: market.tickSize });
    firstRun.abort.abort();
    const firstResult = await firstRun.result;

    const secondRun = startFeed({ resumeFrom: details });
    const resumed = await waitFor(() => secondRun.signals.books()[0], "the resumed attempt's first snapshot");
    expect(resumed.seq).toBeGreaterThan(details.lastSeq);
    // Above anything the first attempt sent, even after its heartbeat.
    expect(resumed.seq).toBeGreaterThan(firstResult.lastSeq);
    await waitFor(() => secondRun.signals.reconciles()[0], "the resumed attempt's reconcile");
    const beat = await waitFor(
      () => secondRun.heartbeats.find((h) => h.lastSeq >= resumed.seq),
      "a heartbeat of the second attempt",
    );
    expect(beat.framesReceived).toBeGreaterThanOrEqual(details.framesReceived);
  });

  it("ends promptly on abort and closes both connections", async () => {
    const feed = startFeed();
    await waitFor(() => feed.signals.reconciles()[0], "the feed to be up");
    const connections = async () =>
      (
        (await (await fetch(`${venue.urls.admin}/state`)).json()) as {
          connections: { market: number; user: number };
        }
      ).connections;
    expect(await connections()).toEqual({ market: 1, user: 1 });

    const abortedAt = Date.now();
    feed.abort.abort();
    const result = await feed.result;
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    expect(result.endReason).toBe("aborted");
    let state = await connections();
    while (state.market + state.user > 0) state = await waitFor(connections, "connections to close");
    expect(state).toEqual({ market: 0, user: 0 });
  });

  it("ends by itself at the end of the window plus the grace", async () => {
    const feed = startFeed({}, { endMs: venue.now() + 1_000, endGraceMs: 500 });
    await waitFor(() => feed.signals.books()[0], "the first snapshot");
    venue.advance(1_400);
    venue.advance(200);
    const result = await feed.result;
    expect(result.endReason).toBe("ended");
    expect(result.snapshotsSent).toBeGreaterThan(0);
  });

  it("ends when the session workflow has completed", async () => {
    const feed = startFeed();
    feed.signals.failWith = () =>
      new WorkflowNotFoundError("workflow execution already completed", `session-${market.slug}`, undefined);
    const result = await feed.result;
    expect(result.endReason).toBe("workflow-completed");
    expect(feed.logger.lines.some((l) => l.msg === "signal failed")).toBe(true);
  });

  it("runs as a Temporal activity: heartbeats through the Context, resumes from its details, cancels", async () => {
    const env = new MockActivityEnvironment({
      heartbeatDetails: {
        lastSeq: 500,
        lastReconcileAtMs: null,
        framesReceived: 3,
        atMs: venue.now(),
        tickSizes: {},
      },
    });
    const beats: FeedHeartbeatDetails[] = [];
    env.on("heartbeat", (details: FeedHeartbeatDetails) => beats.push(details));
    const signals = new SignalRecorder();
    const { streamMarket } = createStreamingActivities({
      wsUrl: venue.urls.ws,
      exchangeFor: async () => exchange,
      apiCreds: trader.creds,
      signal: signals.signal,
      now: () => venue.now(),
      heartbeatIntervalMs: 50,
      channel: FAST_CHANNELS,
    });
    const run = env.run(streamMarket, inputFor(market));
    const first = await waitFor(() => signals.books()[0], "the first snapshot");
    expect(first.seq).toBeGreaterThan(500);
    await waitFor(() => beats.some((b) => b.lastSeq >= first.seq), "a heartbeat through the Context");
    env.cancel();
    await expect(run).rejects.toBeInstanceOf(CancelledFailure);
  });
});

describe("market feed against a misbehaving venue", () => {
  const UP = "101";
  const DOWN = "202";
  const MARKET = "0xmarket";
  const KEY = "api-key";
  let server: WebSocketServer;
  let url: string;
  const sockets = new Set<WebSocket>();
  let cleanup: (() => void) | undefined;
  /** What the fake venue sends after a subscription, per channel. */
  let onSubscribe: Record<"market" | "user", (socket: WebSocket) => void>;
  /** Messages after the subscription (dynamic (un)subscribes), per channel. */
  let onLater:
    | ((channel: "market" | "user", socket: WebSocket, message: Record<string, unknown>) => void)
    | undefined;

  beforeAll(async () => {
    server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    server.on("connection", (socket, request) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      const channel = request.url === "/ws/market" ? "market" : "user";
      let subscribed = false;
      socket.on("message", (data) => {
        const text = data.toString();
        if (text === "PING") socket.send("PONG");
        else if (!subscribed) {
          subscribed = true;
          onSubscribe[channel](socket);
        } else {
          onLater?.(channel, socket, JSON.parse(text));
        }
      });
    });
    await new Promise<void>((resolve) => server.once("listening", resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  });

  afterEach(() => {
    cleanup?.();
    cleanup = undefined;
    onLater = undefined;
  });

  function startFakeFeed(signals: SignalRecorder, logger = new RecordingLogger(), source?: ReconcileSource) {
    const abort = new AbortController();
    cleanup = () => abort.abort();
    const result = runMarketFeed(
      {
        slug: "btc-test",
        conditionId: MARKET,
        upTokenId: UP,
        downTokenId: DOWN,
        endMs: Date.now() + 600_000,
        sessionWorkflowId: "session-btc-test",
      },
      {
        wsUrl: `${url}/`,
        exchangeFor: async () => source ?? { openOrders: async () => [], trades: async () => [] },
        apiCreds: { key: KEY, secret: "s3cret", passphrase: "pass" },
        signal: signals.signal,
        logger,
        cancellationSignal: abort.signal,
        retryBackoff: { baseMs: 10, capMs: 50 },
        channel: FAST_CHANNELS,
      },
    );
    return { abort, result };
  }

  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const book = (asset: string, bid: string, ask: string, timestamp: string) => ({
    event_type: "book",
    market: MARKET,
    asset_id: asset,
    bids: [{ price: bid, size: "10" }],
    asks: [{ price: ask, size: "10" }],
    timestamp,
    hash: "h",
    tick_size: "0.01",
  });

  it("warns once, naming the market, when the feed stalls, clears it on the next frame, and names the market on a closed connection", async () => {
    let marketSocket: WebSocket | undefined;
    onSubscribe = {
      market: (socket) => {
        marketSocket = socket;
        socket.send(JSON.stringify([book(UP, "0.40", "0.42", "1"), book(DOWN, "0.57", "0.59", "1")]));
      },
      user: () => undefined,
    };
    const logger = new RecordingLogger();
    let beats = 0;
    const abort = new AbortController();
    cleanup = () => abort.abort();
    const result = runMarketFeed(
      {
        slug: "btc-test",
        conditionId: MARKET,
        upTokenId: UP,
        downTokenId: DOWN,
        endMs: Date.now() + 600_000,
        sessionWorkflowId: "session-btc-test",
      },
      {
        wsUrl: `${url}/`,
        exchangeFor: async () => ({ openOrders: async () => [], trades: async () => [] }),
        apiCreds: { key: KEY, secret: "s3cret", passphrase: "pass" },
        signal: new SignalRecorder().signal,
        logger,
        cancellationSignal: abort.signal,
        heartbeat: () => {
          beats += 1;
        },
        heartbeatIntervalMs: 20,
        stallAfterMs: 200,
        channel: FAST_CHANNELS,
      },
    );
    const stalls = () => logger.lines.filter((l) => l.msg.startsWith("market feed stalled"));
    await waitFor(() => stalls().length > 0, "the stall warning");
    // Many more checks pass while it stays silent: still one warning.
    const beatsAtStall = beats;
    await waitFor(() => beats >= beatsAtStall + 20, "more heartbeats");
    expect(stalls()).toHaveLength(1);
    expect(stalls()[0]).toMatchObject({ level: "warn", obj: { slug: "btc-test", market: MARKET } });
    // The next frame clears it.
    marketSocket?.send(JSON.stringify([book(UP, "0.41", "0.43", "2")]));
    const flowing = await waitFor(
      () => logger.lines.find((l) => l.msg === "market feed flowing again"),
      "the all-clear",
    );
    expect(flowing.obj).toMatchObject({ slug: "btc-test" });
    // A dropped connection says which market it served.
    marketSocket?.close(1001, "going away");
    const closed = await waitFor(
      () => logger.lines.find((l) => l.msg === "connection closed"),
      "the closed-connection line",
    );
    expect(closed.obj).toMatchObject({ channel: "market", slug: "btc-test", market: MARKET });
    abort.abort();
    await result;
  });

  it("counts and logs unknown and malformed frames, keeps going, retries failed reads and signals", async () => {
    onSubscribe = {
      market: (socket) => {
        socket.send("not json at all");
        socket.send(JSON.stringify({ event_type: "mystery", market: MARKET }));
        socket.send(
          JSON.stringify({ ...book(UP, "0.4", "0.6", "1767225601000"), bids: [{ price: "x", size: "1" }] }),
        );
        socket.send(
          JSON.stringify([
            book(UP, "0.45", "0.55", "1767225601001"),
            book(DOWN, "0.44", "0.56", "1767225601002"),
          ]),
        );
      },
      user: (socket) => {
        socket.send(
          JSON.stringify({
            event_type: "trade",
            id: "trade-9",
            taker_order_id: "0xmine",
            market: MARKET,
            asset_id: UP,
            side: "BUY",
            price: "0.55",
            size: "5",
            fee_rate_bps: "700",
            status: "MATCHED",
            trader_side: "TAKER",
            owner: KEY,
            maker_orders: [],
            match_time: "1767225605",
            timestamp: "1767225605000",
          }),
        );
      },
    };
    const signals = new SignalRecorder();
    let fillFailures = 0;
    signals.failWith = (name) => {
      if (name === SIGNALS.fills && fillFailures < 2) {
        fillFailures += 1;
        return new Error("temporal unavailable");
      }
      return undefined;
    };
    let reads = 0;
    const source: ReconcileSource = {
      openOrders: async () => [],
      trades: async () => {
        reads += 1;
        if (reads === 1) throw new Error("venue 503");
        return [];
      },
    };
    const logger = new RecordingLogger();
    const { abort, result } = startFakeFeed(signals, logger, source);
    const snapshot = await waitFor(() => signals.books()[0], "a snapshot after the bad frames");
    expect(snapshot).toMatchObject({
      seq: 1,
      venueAtMs: 1_767_225_601_002,
      up: { bids: [{ price: 450_000, size: 10_000_000 }], asks: [{ price: 550_000, size: 10_000_000 }] },
      down: { bids: [{ price: 440_000, size: 10_000_000 }], asks: [{ price: 560_000, size: 10_000_000 }] },
      tickSize: 10_000,
    });
    const [fills] = await waitFor(
      () => signals.fills()[0] && signals.fills(),
      "the fill, after two failed signals",
    );
    expect(fills).toEqual([
      expect.objectContaining({ tradeId: "trade-9", orderId: "0xmine", size: 5_000_000, feeRate: 70_000 }),
    ]);
    expect(signals.fills()).toHaveLength(1);
    await waitFor(() => signals.reconciles()[0], "a reconcile after a failed read");
    expect(reads).toBe(2);

    abort.abort();
    const final = await result;
    expect(final.frames.market.malformed).toEqual({ "(none)": 1, book: 1 });
    expect(final.frames.market.unknown).toEqual({ mystery: 1 });
    expect(final.signalFailures).toBe(2);
    expect(final.fillsSignalled).toBe(1);
    const warnings = logger.lines.filter((l) => l.level === "warn").map((l) => l.msg);
    expect(warnings).toEqual(
      expect.arrayContaining([
        "malformed event skipped",
        "unknown event skipped",
        "reconcile read failed",
        "signal failed",
      ]),
    );
    // The credentials never reach a log line.
    expect(JSON.stringify(logger.lines)).not.toMatch(/s3cret|"pass"/);
  });

  it("signals no order updates: an order event on the user channel is counted, and only fills go to the session", async () => {
    let userSocket: WebSocket | undefined;
    onSubscribe = {
      market: () => {},
      user: (socket) => {
        userSocket = socket;
      },
    };
    const trade = (id: string) => ({
      event_type: "trade",
      id,
      taker_order_id: "0xmine",
      market: MARKET,
      asset_id: UP,
      side: "BUY",
      price: "0.55",
      size: "5",
      fee_rate_bps: "700",
      status: "MATCHED",
      trader_side: "TAKER",
      owner: KEY,
      maker_orders: [],
      match_time: "1767225605",
      timestamp: "1767225605000",
    });
    const signals = new SignalRecorder();
    const { abort, result } = startFakeFeed(signals);
    const socket = await waitFor(() => userSocket, "the user channel");
    socket.send(
      JSON.stringify({
        event_type: "order",
        type: "PLACEMENT",
        id: "0xmine",
        owner: KEY,
        market: MARKET,
        asset_id: UP,
        side: "BUY",
        price: "0.55",
        original_size: "5",
        size_matched: "0",
        status: "LIVE",
        timestamp: "1767225604000",
      }),
    );
    socket.send(JSON.stringify(trade("trade-1")));
    await waitFor(
      () =>
        signals
          .fills()
          .flat()
          .find((f) => f.tradeId === "trade-1"),
      "the first fill",
    );
    // Signals go out in order: once a later fill is in, anything the order event caused was sent.
    socket.send(JSON.stringify(trade("trade-2")));
    await waitFor(
      () =>
        signals
          .fills()
          .flat()
          .find((f) => f.tradeId === "trade-2"),
      "the second fill",
    );
    // The reconcile at connection, then the fills: nothing for the order event.
    expect([...new Set(signals.calls.map((c) => c.name))]).toEqual([SIGNALS.reconcile, SIGNALS.fills]);

    abort.abort();
    const final = await result;
    expect(final.frames.user.decoded.order).toBe(1);
    expect(final.fillsSignalled).toBe(2);
  });

  it("after a tick-size change, resubscribes for a fresh book and reports the new tick", async () => {
    onSubscribe = {
      market: (socket) => {
        socket.send(
          JSON.stringify([
            book(UP, "0.95", "0.96", "1767225601000"),
            book(DOWN, "0.04", "0.05", "1767225601000"),
          ]),
        );
        socket.send(
          JSON.stringify(
            [UP, DOWN].map((asset) => ({
              event_type: "tick_size_change",
              market: MARKET,
              asset_id: asset,
              old_tick_size: "0.01",
              new_tick_size: "0.001",
              timestamp: "1767225602000",
            })),
          ),
        );
      },
      user: () => {},
    };
    const requests: Record<string, unknown>[] = [];
    onLater = (channel, socket, message) => {
      if (channel !== "market") return;
      requests.push(message);
      if (message.operation !== "subscribe") return;
      const ids = message.assets_ids as string[];
      const dump = ids.map((asset) =>
        asset === UP
          ? { ...book(UP, "0.961", "0.963", "1767225603000"), tick_size: "0.001" }
          : { ...book(DOWN, "0.037", "0.039", "1767225603000"), tick_size: "0.001" },
      );
      socket.send(JSON.stringify(dump));
    };
    const signals = new SignalRecorder();
    startFakeFeed(signals);
    const fresh = await waitFor(
      () => signals.books().find((b) => b.tickSize === 1_000),
      "a snapshot on the new tick",
    );
    expect(fresh.up.bids).toEqual([{ price: 961_000, size: 10_000_000 }]);
    expect(fresh.down.asks).toEqual([{ price: 39_000, size: 10_000_000 }]);
    // Before the fresh dump, no snapshot showed a dropped (empty) book.
    for (const snapshot of signals.books()) {
      expect(snapshot.up.bids.length + snapshot.down.bids.length).toBe(2);
    }
    expect(requests.map((r) => r.operation)).toEqual(["unsubscribe", "subscribe"]);
  });
});

describe("classifySignalError", () => {
  it("tells a completed workflow from a missing one and from anything else", () => {
    expect(
      classifySignalError(new WorkflowNotFoundError("workflow execution already completed", "w", undefined)),
    ).toBe("workflow-completed");
    expect(classifySignalError(new WorkflowNotFoundError("workflow not found", "w", undefined))).toBe(
      "workflow-not-found",
    );
    expect(classifySignalError(new Error("14 UNAVAILABLE"))).toBe("transient");
  });
});
