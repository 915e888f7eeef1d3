/**
 * A process's market data, shared: per market, the two channel connections (src/polymarket/channel-client.ts),
 * the L2 books of both tokens and the user channel's view of our orders and fills, kept once and read by every
 * consumer in the process (the market feed, a quoter), so a second consumer opens no second connection.
 *
 * - MarketDataStream, one market: decodes each frame once and applies it (books and tick sizes, with a
 *   resubscription for a fresh book after a tick-size change; our orders' latest states and our fills, through
 *   the one conversion src/protocol/fills.ts `ourFills`), then hands it to every consumer, synchronously and in
 *   subscription order. So each consumer sees every frame in arrival order, after it was applied. A consumer
 *   that throws is logged in one line naming it; the others still get that frame, and it gets the next ones.
 * - MarketDataHub, one per process: the streams by market (condition id), reference-counted. `acquire` opens a
 *   market's stream for its first consumer and shares it with the next ones; the last `release` closes it.
 *
 * No Temporal here (the activities are consumers); the only I/O is the channel client's.
 */
import { BookRegistry } from "../book/orderbook";
import type { Micros } from "../money";
import type { BackoffPolicy } from "../polymarket/backoff";
import {
  ChannelClient,
  type ChannelClientStats,
  type ChannelLogger,
  withFields,
} from "../polymarket/channel-client";
import { type DecodeResult, decodeFrame } from "../protocol/frames";
import type { OrderEvent } from "../protocol/user";
import type { MarketRef } from "../session/market";
import type { OurFill } from "../session/messages";
import { fillSightingKey, fillsFromTradeEvent } from "./fills";
import { bookTickSizes } from "./snapshot";

/** The market a stream serves. */
export type MarketDataRef = Pick<MarketRef, "slug" | "conditionId" | "upTokenId" | "downTokenId">;

/** Connection tuning passed through to both ChannelClients. */
export interface ChannelTuning {
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: BackoffPolicy;
  stableAfterMs?: number;
  closeTimeoutMs?: number;
}

export interface MarketDataDeps {
  /** Base WebSocket URL, e.g. ws://127.0.0.1:7788/ws; the channels are at /market and /user under it. */
  wsUrl: string;
  /** L2 credentials for the user channel; `key` also identifies our maker legs. */
  apiCreds: { key: string; secret: string; passphrase: string };
  logger?: ChannelLogger;
  /** Epoch ms; stamps frame receive times. Default Date.now. */
  now?: () => number;
  channel?: ChannelTuning;
}

/** One market-channel frame, already applied to the stream's books. */
export interface MarketFrameUpdate {
  /** When the frame arrived, epoch ms (the stream's clock). */
  readonly receivedAtMs: number;
  /** Whether the frame touched the book of either token of this market. */
  readonly changed: boolean;
  /** The newest venue timestamp among the events that touched this market's books; 0 if none did. */
  readonly venueAtMs: number;
  /** The frame as decoded, for a consumer's own frame statistics. */
  readonly decoded: DecodeResult;
}

/** One user-channel frame, already applied to the stream's view. */
export interface UserFrameUpdate {
  readonly receivedAtMs: number;
  /** This market's order events in the frame, in order. */
  readonly orders: readonly OrderEvent[];
  /** Sightings of our fills (a fill at one status) that the stream had not seen before, in order. */
  readonly fills: readonly OurFill[];
  readonly decoded: DecodeResult;
}

export interface MarketDataConsumer {
  /** Names the consumer in log lines. */
  readonly name: string;
  onMarketFrame?(update: MarketFrameUpdate): void;
  onUserFrame?(update: UserFrameUpdate): void;
  /**
   * The user channel is open: at every (re)connection, and at subscribe when it already is. Anything may have
   * been missed before, so a consumer that needs every fill reconciles over REST.
   */
  onUserOpen?(): void;
  /**
   * The user channel's connection closed (the channel client reconnects by itself; `onUserOpen` follows
   * when it is back). Until then our orders' events and fills are not seen: a quoter halts and cancels.
   */
  onUserClose?(): void;
}

/** Per kind of bad event, this many are logged at warn; the rest at debug. */
const LOGGED_BAD_EVENTS = 10;

const silentLogger: ChannelLogger = { debug() {}, info() {}, warn() {}, error() {} };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One market's connections, books and user view, and the consumers that read them. */
export class MarketDataStream {
  readonly ref: MarketDataRef;
  /** Both tokens' books, as of the last frame: consumers read them and never change them. */
  readonly books = new BookRegistry();

  private readonly log: ChannelLogger;
  private readonly apiKey: string;
  private readonly market: ChannelClient;
  private readonly user: ChannelClient;
  private readonly consumers = new Set<MarketDataConsumer>();
  private readonly ticks = new Map<string, Micros>();
  private readonly orders = new Map<string, OrderEvent>();
  private readonly fills = new Map<string, OurFill>();
  private readonly badEventsLogged = new Map<string, number>();
  private changeTimes: { venueAtMs: number; receivedAtMs: number } | undefined;
  private closing: Promise<void> | undefined;

  constructor(ref: MarketDataRef, deps: MarketDataDeps) {
    this.ref = {
      slug: ref.slug,
      conditionId: ref.conditionId,
      upTokenId: ref.upTokenId,
      downTokenId: ref.downTokenId,
    };
    this.apiKey = deps.apiCreds.key;
    // Every line (the channel client's too: connection closed, reconnecting, …) names its market.
    this.log = withFields(deps.logger ?? silentLogger, { slug: ref.slug, market: ref.conditionId });
    const base = deps.wsUrl.replace(/\/+$/, "");
    const common = { ...deps.channel, now: deps.now ?? Date.now, logger: this.log };
    this.market = new ChannelClient({
      ...common,
      channel: "market",
      url: `${base}/market`,
      assetIds: [ref.upTokenId, ref.downTokenId],
      // best_bid_ask, new_market and market_resolved are of no use here.
      customFeatures: false,
    });
    this.user = new ChannelClient({
      ...common,
      channel: "user",
      url: `${base}/user`,
      auth: { apiKey: deps.apiCreds.key, secret: deps.apiCreds.secret, passphrase: deps.apiCreds.passphrase },
      markets: [ref.conditionId],
    });
    this.market.on("frame", (text, receivedAtMs) => this.onMarketFrame(text, receivedAtMs));
    this.user.on("frame", (text, receivedAtMs) => this.onUserFrame(text, receivedAtMs));
    this.user.on("open", () => {
      this.deliver("the user channel's opening", (c) => c.onUserOpen?.());
    });
    this.user.on("close", () => this.deliver("the user channel's closing", (c) => c.onUserClose?.()));
  }

  /** Opens both connections. Throws only if ws rejects the URL. */
  start(): void {
    this.market.start();
    this.user.start();
  }

  /**
   * From now on the consumer gets every frame. When the user channel is already open it is told so before this
   * returns (it may have missed fills). Returns the unsubscribe.
   */
  subscribe(consumer: MarketDataConsumer): () => void {
    if (this.closing) throw new Error(`market data stream of ${this.ref.slug} is closed`);
    this.consumers.add(consumer);
    if (this.user.state === "open")
      this.deliver("the user channel's opening", (c) => c.onUserOpen?.(), [consumer]);
    return () => {
      this.consumers.delete(consumer);
    };
  }

  /** Closes both connections (resolves once closed); no frame reaches a consumer after this. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.consumers.clear();
      await Promise.allSettled([this.market.close(), this.user.close()]);
    })();
    return this.closing;
  }

  /** Tick sizes learned from the market channel (book messages, tick-size changes), by token id. */
  get tickSizes(): ReadonlyMap<string, Micros> {
    return this.ticks;
  }

  /** When the books last changed (venue and receive times), undefined before the first change. */
  get lastChange(): { venueAtMs: number; receivedAtMs: number } | undefined {
    return this.changeTimes;
  }

  /** Our orders in this market, by order id: the latest order event received for each. */
  get ourOrders(): ReadonlyMap<string, OrderEvent> {
    return this.orders;
  }

  /** Every sighting of our fills in this market (a fill at one status), by fillSightingKey, in arrival order. */
  get ourFills(): ReadonlyMap<string, OurFill> {
    return this.fills;
  }

  get stats(): { market: ChannelClientStats; user: ChannelClientStats } {
    return { market: this.market.stats, user: this.user.stats };
  }

  private isOurs(tokenId: string): boolean {
    return tokenId === this.ref.upTokenId || tokenId === this.ref.downTokenId;
  }

  // ------------------------------------------------------------------------------------------ market

  private onMarketFrame(text: string, receivedAtMs: number): void {
    const decoded = decodeFrame(text);
    this.reportBadEvents("market", decoded);
    let changed = false;
    let sawBook = false;
    let venueAtMs = 0;
    const retick: string[] = [];
    for (const event of decoded.events) {
      const touched = this.books.apply(event);
      if (!touched.some((top) => this.isOurs(top.assetId))) continue;
      changed = true;
      venueAtMs = Math.max(venueAtMs, event.timestampMs);
      if (event.type === "book") sawBook = true;
      if (event.type === "tick_size_change") {
        this.ticks.set(event.assetId, event.newTickSize);
        retick.push(event.assetId);
      }
    }
    if (sawBook) {
      for (const [token, tick] of bookTickSizes(text)) if (this.isOurs(token)) this.ticks.set(token, tick);
    }
    if (retick.length > 0) this.resync(retick);
    if (changed) this.changeTimes = { venueAtMs, receivedAtMs };
    const update: MarketFrameUpdate = { receivedAtMs, changed, venueAtMs, decoded };
    this.deliver("a market frame", (c) => c.onMarketFrame?.(update));
  }

  /**
   * A tick-size change drops the token's book (its levels are on the old grid) until the next snapshot, and
   * the venue sends none by itself: resubscribing asks for a fresh dump on the same, ordered connection.
   */
  private resync(tokenIds: string[]): void {
    this.log.info({ tokenIds }, "tick size changed: resubscribing for a fresh book");
    this.market.unsubscribe(tokenIds);
    this.market.subscribe(tokenIds);
  }

  // -------------------------------------------------------------------------------------------- user

  private onUserFrame(text: string, receivedAtMs: number): void {
    const decoded = decodeFrame(text);
    this.reportBadEvents("user", decoded);
    const orders: OrderEvent[] = [];
    const fills: OurFill[] = [];
    for (const event of decoded.events) {
      if (event.type === "order" && event.market === this.ref.conditionId) {
        this.orders.set(event.orderId, event);
        orders.push(event);
      } else if (event.type === "trade" && event.market === this.ref.conditionId) {
        const legs = fillsFromTradeEvent(event, this.apiKey);
        if (legs.length === 0) this.log.warn({ tradeId: event.tradeId }, "trade without a leg of ours");
        for (const fill of legs) {
          const key = fillSightingKey(fill);
          if (this.fills.has(key)) continue;
          this.fills.set(key, fill);
          fills.push(fill);
        }
      }
    }
    const update: UserFrameUpdate = { receivedAtMs, orders, fills, decoded };
    this.deliver("a user frame", (c) => c.onUserFrame?.(update));
  }

  /** Calls each consumer in order (the given ones, or all); one that throws is logged and the others go on. */
  private deliver(
    what: string,
    call: (consumer: MarketDataConsumer) => void,
    to: Iterable<MarketDataConsumer> = this.consumers,
  ): void {
    for (const consumer of to) {
      try {
        call(consumer);
      } catch (error) {
        this.consumerThrew(consumer, what, error);
      }
    }
  }

  // ---------------------------------------------------------------------------------------- helpers

  private consumerThrew(consumer: MarketDataConsumer, what: string, error: unknown): void {
    const message = errorMessage(error);
    this.log.error(
      { consumer: consumer.name, err: message },
      `market data consumer "${consumer.name}" threw on ${what}: ${message}`,
    );
  }

  private reportBadEvents(channel: "market" | "user", decoded: DecodeResult): void {
    for (const unknown of decoded.unknown) {
      this.logBadEvent(
        `${channel}:unknown:${unknown.eventType}`,
        { channel, eventType: unknown.eventType },
        "unknown event skipped",
      );
    }
    for (const malformed of decoded.malformed) {
      this.logBadEvent(
        `${channel}:malformed:${malformed.eventType}`,
        { channel, eventType: malformed.eventType, reason: malformed.reason },
        "malformed event skipped",
      );
    }
  }

  private logBadEvent(key: string, details: object, message: string): void {
    const logged = this.badEventsLogged.get(key) ?? 0;
    this.badEventsLogged.set(key, logged + 1);
    if (logged < LOGGED_BAD_EVENTS) this.log.warn(details, message);
    else this.log.debug(details, message);
  }
}

/** A consumer's hold on a market's stream. */
export interface MarketDataLease {
  readonly stream: MarketDataStream;
  /**
   * Unsubscribes the consumer; the market's last release closes the stream's connections (and resolves once
   * they are closed). A second call does nothing more.
   */
  release(): Promise<void>;
}

interface HubEntry {
  stream: MarketDataStream;
  leases: number;
}

/** The process's market data streams, one per market, shared by every consumer of that market. */
export class MarketDataHub {
  private readonly entries = new Map<string, HubEntry>();

  constructor(private readonly deps: MarketDataDeps) {}

  /**
   * The market's stream, subscribed by `consumer`: opened now for the first consumer, shared after that.
   * Throws only if ws rejects the URL.
   */
  acquire(market: MarketDataRef, consumer: MarketDataConsumer): MarketDataLease {
    let entry = this.entries.get(market.conditionId);
    if (!entry) {
      const stream = new MarketDataStream(market, this.deps);
      try {
        stream.start();
      } catch (error) {
        void stream.close();
        throw error;
      }
      entry = { stream, leases: 0 };
      this.entries.set(market.conditionId, entry);
    }
    const held = entry;
    const unsubscribe = held.stream.subscribe(consumer);
    held.leases += 1;
    let released: Promise<void> | undefined;
    return {
      stream: held.stream,
      release: () => {
        released ??= this.release(market.conditionId, held, unsubscribe);
        return released;
      },
    };
  }

  private async release(conditionId: string, entry: HubEntry, unsubscribe: () => void): Promise<void> {
    unsubscribe();
    entry.leases -= 1;
    if (entry.leases > 0) return;
    if (this.entries.get(conditionId) === entry) this.entries.delete(conditionId);
    await entry.stream.close();
  }
}
