/**
 * Contracts between the parts of the venue simulator (a local Polymarket CLOB V2):
 *
 *   model/   (pure)  seeded price paths, fair values, simulated traders → AgentAction[]
 *   engine/  (pure)  matching, balances, fees, trade lifecycle, resolution → VenueEvent[]
 *   server/  (I/O)   REST (CLOB + Gamma + admin), auth, WebSocket channels, faults
 *
 * Everything pure is deterministic: time comes in as numbers (ms since epoch) from a clock the
 * server owns, randomness from one seeded generator. The same seed and the same inbound orders at
 * the same simulated times give the same event stream.
 *
 * Prices, sizes and balances are micros (see src/money.ts).
 */
import type { Micros } from "../money";
import type { PriceLevel } from "../protocol/market";
import type { TradeStatus } from "../protocol/trade-status";
import type { OrderType, Side } from "../protocol/vocabulary";

/** The venue's vocabulary is the one every layer shares (src/protocol/vocabulary.ts, trade-status.ts). */
export type { OrderType, Side, TradeStatus };
export type Asset = "BTC" | "ETH" | "SOL" | "XRP";

/** One up/down window of one asset: a binary market with two outcome tokens. */
export interface VenueMarket {
  asset: Asset;
  /** `{asset}-updown-{window}-{unixStart}`, e.g. btc-updown-15m-1767200400. */
  slug: string;
  /** 0x-prefixed 32-byte hex. */
  conditionId: string;
  questionId: string;
  /** [Up, Down]: index 0 is Up, as in Gamma's clobTokenIds/outcomes. */
  tokenIds: readonly [string, string];
  startMs: number;
  endMs: number;
  /** When the market is listed and starts accepting orders (before it opens). */
  listedMs: number;
  tickSize: Micros;
  minOrderSize: Micros;
  /** Fee parameters as published in market info: fd.r (micros), fd.e. */
  feeRate: Micros;
  feeExponent: number;
  negRisk: false;
}

export type MarketStatus = "listed" | "open" | "closed" | "resolved";

/** An order as the engine knows it. `id` is the order's EIP-712 hash (the server computes it). */
export interface OrderRequest {
  id: string;
  /** The API key (owner UUID) the order was posted under; user-channel events go to it. */
  owner: string;
  /** The account whose balances move (the order's maker/funder address, lower-case). */
  account: string;
  tokenId: string;
  side: Side;
  price: Micros;
  /** Shares. */
  size: Micros;
  type: OrderType;
  postOnly: boolean;
  /** GTD: ms since epoch after which the order is cancelled; 0 otherwise. */
  expiresAtMs: number;
}

export type OrderStatus = "LIVE" | "MATCHED" | "CANCELED" | "DELAYED" | "UNMATCHED" | "INVALID";

export interface RestingOrder extends OrderRequest {
  market: string;
  outcome: "Up" | "Down";
  sizeMatched: Micros;
  status: OrderStatus;
  createdAtMs: number;
  associateTrades: string[];
}

/** What POST /order answers for one order (the server maps it to the wire shape). */
export interface SubmitResult {
  success: boolean;
  orderId: string;
  /** "live" | "matched" | "delayed" | "unmatched" on success. */
  status?: "live" | "matched" | "delayed" | "unmatched";
  /** The venue's error string on failure, e.g. "invalid post-only order: order crosses book". */
  errorMsg?: string;
  /** Venue trade ids created synchronously by this order. */
  tradeIds: string[];
  /** Amounts the venue reports: for a BUY makingAmount is pUSD, takingAmount shares (and vice versa). */
  makingAmount: Micros;
  takingAmount: Micros;
}

export interface MakerFill {
  orderId: string;
  owner: string;
  account: string;
  /** The maker order's own token: on a complementary (mint) match it is the other outcome. */
  tokenId: string;
  outcome: "Up" | "Down";
  side: Side;
  price: Micros;
  matchedAmount: Micros;
  /** What this fill would have paid as a taker (weight in the rebate pool). */
  feeEquivalent: Micros;
}

export interface VenueTrade {
  id: string;
  market: string;
  /** The taker's token, side and average price. */
  tokenId: string;
  outcome: "Up" | "Down";
  side: Side;
  price: Micros;
  size: Micros;
  takerOrderId: string;
  takerOwner: string;
  takerAccount: string;
  /** Taker fee: in shares (micros) on a BUY, in pUSD (micros) on a SELL. */
  fee: Micros;
  feeRate: Micros;
  makers: MakerFill[];
  status: TradeStatus;
  matchTimeMs: number;
  lastUpdateMs: number;
  transactionHash: string;
}

/** One price level of a book (src/protocol/market.ts PriceLevel). */
export type BookLevel = PriceLevel;

export interface BookSnapshot {
  market: string;
  tokenId: string;
  /** Best first: bids descending, asks ascending. (The wire order is the server's business.) */
  bids: BookLevel[];
  asks: BookLevel[];
  tickSize: Micros;
  minOrderSize: Micros;
  timestampMs: number;
  /** Hash of the book state, as the venue sends with book snapshots. */
  hash: string;
}

/**
 * Everything that happens on the venue, in order. The server turns these into market-channel
 * frames (book, price_change, last_trade_price, tick_size_change, best_bid_ask, new_market,
 * market_resolved) and user-channel frames (order, trade) for the owners concerned.
 */
export type VenueEvent =
  | { kind: "market_listed"; seq: number; atMs: number; market: VenueMarket }
  | { kind: "market_opened"; seq: number; atMs: number; market: string; startPrice: number }
  | {
      kind: "level_changed";
      seq: number;
      atMs: number;
      market: string;
      tokenId: string;
      side: Side;
      price: Micros;
      /** New total size at that price; 0 removes the level. */
      size: Micros;
      bestBid: Micros | null;
      bestAsk: Micros | null;
    }
  | {
      kind: "last_trade";
      seq: number;
      atMs: number;
      market: string;
      tokenId: string;
      side: Side;
      price: Micros;
      size: Micros;
      feeRate: Micros;
    }
  | {
      kind: "tick_size_changed";
      seq: number;
      atMs: number;
      market: string;
      tokenId: string;
      oldTick: Micros;
      newTick: Micros;
    }
  | {
      kind: "order";
      seq: number;
      atMs: number;
      type: "PLACEMENT" | "UPDATE" | "CANCELLATION";
      order: RestingOrder;
      /** Wire status override, e.g. the killed-FOK quirk "CANCELED_order couldn't be fully filled. …". */
      wireStatus?: string;
    }
  | { kind: "trade"; seq: number; atMs: number; trade: VenueTrade }
  | {
      kind: "market_resolved";
      seq: number;
      atMs: number;
      market: string;
      winningTokenId: string;
      winningOutcome: "Up" | "Down";
      startPrice: number;
      endPrice: number;
    };

/** What simulated traders do; the runner applies these to the engine under their accounts. */
export type AgentAction =
  | {
      kind: "place";
      agent: string;
      tokenId: string;
      side: Side;
      price: Micros;
      size: Micros;
      type: OrderType;
      postOnly?: boolean;
      /** A stable key so the agent can later cancel what it placed. */
      ref: string;
    }
  | { kind: "cancel"; agent: string; ref: string };

/** A read-only view of the books the model can look at to decide what its traders do. */
export interface BookView {
  bestBid(tokenId: string): BookLevel | undefined;
  bestAsk(tokenId: string): BookLevel | undefined;
  levels(tokenId: string, side: Side, depth: number): BookLevel[];
}
