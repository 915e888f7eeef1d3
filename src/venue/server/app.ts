/**
 * The local Polymarket venue over the network: CLOB REST, Gamma, the two WebSocket channels and
 * an admin endpoint, on one loopback port. The unmodified @polymarket/clob-client-v2 trades
 * against it (see docs/clob-client-v2.md for what that takes). State lives in a VenueCore (a
 * Simulation and the venue's books of keys, heartbeats and submissions), which journals every change
 * when given a data directory and replays the journal at start; this module only authenticates,
 * translates and fans out.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import Fastify, { type FastifyRequest } from "fastify";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { ZodError } from "zod";
import type { Logger } from "../../log";
import { formatMicros, type Micros, parseMicros } from "../../money";
import {
  filterGamma,
  type GammaState,
  gammaEvent,
  gammaMarket,
  parseGammaQuery,
  questionFor,
} from "../gamma";
import type { ModelConfigInput } from "../model/agents";
import type { Simulation } from "../simulation";
import type { Asset, RestingOrder, SubmitResult, VenueMarket, VenueTrade } from "../types";
import { type ApiKey, type ApiKeyRegistry, AuthError, OrderRejected, verifyL1, verifyL2 } from "./auth";
import { VenueClosed, VenueCore } from "./core";
import { FaultInjector, type FaultsInput } from "./faults";
import { bookFrame, type MarketDirectory, marketFrames, tradeFrame, userFrames } from "./frames";
import { openJournal } from "./journal";
import type { SubmissionRoute } from "./submissions";

export interface VenueOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  seed?: number;
  assets?: readonly Asset[];
  windowMs?: number;
  /** How often the simulated market moves (ms). */
  stepMs?: number;
  chainId?: number;
  /** pUSD credited to an address the first time it gets API credentials (micros). */
  startingBalance?: Micros;
  /** Open orders of an API key that heartbeated and then stopped are cancelled after this (ms). */
  heartbeatTimeoutMs?: number;
  takerDelayMs?: number;
  /** Probability (0–1) that a trade goes MATCHED → FAILED. */
  tradeFailureRate?: number;
  /**
   * One mirrored book per market, with mint and merge matching, as the real venue (src/venue/engine,
   * "Mirrored books"). Off by default until the market model moves to it: its dislocations would merge.
   */
  mirrored?: boolean;
  faults?: FaultsInput;
  model?: ModelConfigInput;
  /** Time source (default Date.now). */
  clock?: () => number;
  /** Tests drive time themselves with `tick()` when false. */
  autoTick?: boolean;
  logger?: Logger;
  /**
   * Keep the venue's state here (journal.jsonl: every change, replayed at start, so a restarted venue
   * finds its orders, balances and markets as they were). Absent: nothing is kept.
   */
  dataDir?: string;
  /** How long a resolved market stays listed after its resolution (ms, default 24 h). */
  resolvedRetentionMs?: number;
  /** How often journal writes are flushed to disk (ms, default 100). */
  fsyncEveryMs?: number;
}

export interface VenueUrls {
  clob: string;
  gamma: string;
  ws: string;
  wsMarket: string;
  wsUser: string;
  admin: string;
}

export interface RunningVenue {
  urls: VenueUrls;
  port: number;
  simulation: Simulation;
  faults: FaultInjector;
  apiKeys: ApiKeyRegistry;
  /** The journal file when the venue keeps its state (dataDir). */
  journalFile?: string;
  /** Runs the simulation steps due by the clock's time, one per stepMs (tests use it with autoTick: false). */
  tick(): void;
  close(): Promise<void>;
}

export const VENUE_DEFAULTS = {
  host: "127.0.0.1",
  port: 7788,
  seed: 1,
  assets: ["BTC", "ETH", "SOL", "XRP"] as readonly Asset[],
  windowMs: 900_000,
  stepMs: 100,
  chainId: 137,
  startingBalance: 1_000_000_000 as Micros,
  heartbeatTimeoutMs: 10_000,
};

const PAGE_SIZE = 100;
const FIRST_CURSOR = "MA==";
const END_CURSOR = "LTE=";
const MAX_BATCH = 15;
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** The price paths advance at most 7 days at once: a longer downtime cannot be caught up. */
const MAX_DOWNTIME_MS = 6 * 86_400_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const dec = (m: Micros) => formatMicros(m);
const seconds = (ms: number) => Math.floor(ms / 1000);
const pathOf = (url: string) => url.split("?")[0] ?? url;

function encodeCursor(offset: number): string {
  return Buffer.from(String(offset)).toString("base64");
}

function decodeCursor(cursor: unknown): number {
  if (cursor === undefined || cursor === "" || cursor === FIRST_CURSOR) return 0;
  const n = Number(Buffer.from(String(cursor), "base64").toString("utf8"));
  if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, "invalid next_cursor");
  return n;
}

function page<T, U>(items: readonly T[], cursor: unknown, map: (t: T) => U) {
  const offset = decodeCursor(cursor);
  const slice = items.slice(offset, offset + PAGE_SIZE);
  const next = offset + PAGE_SIZE < items.length ? encodeCursor(offset + PAGE_SIZE) : END_CURSOR;
  return { data: slice.map(map), next_cursor: next, limit: PAGE_SIZE, count: slice.length };
}

function openOrderJson(o: RestingOrder) {
  return {
    id: o.id,
    status: o.status,
    owner: o.owner,
    maker_address: o.account,
    market: o.market,
    asset_id: o.tokenId,
    side: o.side,
    original_size: dec(o.size),
    size_matched: dec(o.sizeMatched),
    price: dec(o.price),
    associate_trades: [...o.associateTrades],
    outcome: o.outcome,
    created_at: seconds(o.createdAtMs),
    expiration: String(o.expiresAtMs > 0 ? seconds(o.expiresAtMs) : 0),
    order_type: o.type,
  };
}

function tradeJson(t: VenueTrade, owner: string) {
  const { event_type: _e, type: _t, timestamp: _ts, ...rest } = tradeFrame(t, owner, t.lastUpdateMs);
  return rest;
}

function orderResponse(r: SubmitResult) {
  return {
    success: r.success,
    errorMsg: r.errorMsg ?? "",
    orderID: r.orderId,
    status: r.status ?? "",
    makingAmount: r.makingAmount > 0 ? dec(r.makingAmount) : "",
    takingAmount: r.takingAmount > 0 ? dec(r.takingAmount) : "",
    tradeIDs: [...r.tradeIds],
    transactionsHashes: [] as string[],
  };
}

interface MarketClient {
  ws: WebSocket;
  assets: Set<string>;
  custom: boolean;
  subscribed: boolean;
  held?: string;
}

interface UserClient {
  ws: WebSocket;
  owner?: string;
  markets: Set<string>;
  held?: string;
}

declare module "fastify" {
  interface FastifyRequest {
    rawBody?: string;
  }
}

/** The settings the simulation depends on: a journal written with others is refused. */
function journalSettings(o: typeof VENUE_DEFAULTS & VenueOptions): Record<string, unknown> {
  return {
    seed: o.seed,
    assets: [...o.assets],
    windowMs: o.windowMs,
    stepMs: o.stepMs,
    chainId: o.chainId,
    startingBalance: o.startingBalance,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs,
    takerDelayMs: o.takerDelayMs ?? 0,
    tradeFailureRate: o.tradeFailureRate ?? 0,
    resolvedRetentionMs: o.resolvedRetentionMs ?? null,
    model: o.model ?? null,
    // Only when on: journals written before the option existed keep matching a venue started without it.
    ...(o.mirrored ? { mirrored: true } : {}),
  };
}

export async function startVenue(options: VenueOptions = {}): Promise<RunningVenue> {
  const o = { ...VENUE_DEFAULTS, ...options };
  if (!Number.isSafeInteger(o.stepMs) || o.stepMs <= 0)
    throw new RangeError(`stepMs must be a whole number > 0`);
  const clock = options.clock ?? Date.now;
  const logger = options.logger;
  const core = new VenueCore({
    seed: o.seed,
    assets: o.assets,
    windowMs: o.windowMs,
    stepMs: o.stepMs,
    chainId: o.chainId,
    startingBalance: o.startingBalance,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs,
    takerDelayMs: options.takerDelayMs ?? 0,
    tradeFailureRate: options.tradeFailureRate ?? 0,
    ...(options.mirrored ? { mirrored: true } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.resolvedRetentionMs !== undefined
      ? { resolvedRetentionMs: options.resolvedRetentionMs }
      : {}),
    clock,
    ...(logger ? { logger } : {}),
  });
  let journalFile: string | undefined;
  if (options.dataDir !== undefined) {
    const journal = openJournal({
      dataDir: options.dataDir,
      settings: journalSettings(o),
      nowMs: clock(),
      ...(options.fsyncEveryMs !== undefined ? { fsyncEveryMs: options.fsyncEveryMs } : {}),
      warn: (message) => (logger ? logger.warn(message) : process.stderr.write(`${message}\n`)),
    });
    journalFile = journal.file;
    try {
      const last = journal.entries[journal.entries.length - 1];
      if (last && clock() - last.t > MAX_DOWNTIME_MS) {
        throw new Error(
          `venue journal ${journal.file} ends ${((clock() - last.t) / 86_400_000).toFixed(1)} days ago: more than ${MAX_DOWNTIME_MS / 86_400_000} days cannot be caught up (move the file away to start afresh)`,
        );
      }
      const started = Date.now();
      core.replay(journal.entries);
      if (journal.entries.length > 0) {
        logger?.info(
          { entries: journal.entries.length, ms: Date.now() - started, file: journal.file },
          "venue state replayed from its journal",
        );
      }
      core.attach(journal.writer);
    } catch (err) {
      journal.writer.close();
      throw err;
    }
  }
  const simulation = core.simulation;
  const engine = simulation.engine;
  const apiKeys = core.apiKeys;
  // Every order entry received, accepted or refused (GET /admin/orders); holds (POST /admin/hold-orders).
  const submissions = core.submissions;
  const faults = new FaultInjector(o.seed, options.faults ?? {});
  const directory: MarketDirectory = { market: (id) => engine.market(id), question: questionFor };

  // ------------------------------------------------------------------ WebSocket fan-out
  const marketClients = new Set<MarketClient>();
  const byAsset = new Map<string, Set<MarketClient>>();
  const userClients = new Set<UserClient>();
  const byOwner = new Map<string, Set<UserClient>>();

  function deliver(c: MarketClient | UserClient, text: string): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (c.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      logger?.warn("slow WebSocket consumer disconnected");
      c.ws.terminate();
      return;
    }
    if (c.held !== undefined) {
      c.ws.send(text);
      c.ws.send(c.held);
      c.held = undefined;
      return;
    }
    if (faults.reorderFrame()) {
      c.held = text;
      return;
    }
    c.ws.send(text);
    if (faults.duplicateFrame()) c.ws.send(text);
  }

  function flushHeld(): void {
    for (const c of [...marketClients, ...userClients]) {
      if (c.held !== undefined && c.ws.readyState === c.ws.OPEN) c.ws.send(c.held);
      c.held = undefined;
    }
  }

  engine.subscribe((event) => {
    if (!faults.current.stallFeed) {
      for (const mf of marketFrames(event, directory)) {
        const text = JSON.stringify(mf.frame);
        const broadcast =
          mf.customFeature && (event.kind === "market_listed" || event.kind === "market_resolved");
        const targets = new Set<MarketClient>();
        if (broadcast) for (const c of marketClients) targets.add(c);
        else for (const a of mf.assetIds) for (const c of byAsset.get(a) ?? []) targets.add(c);
        for (const c of targets) if (!mf.customFeature || c.custom) deliver(c, text);
      }
    }
    for (const uf of userFrames(event)) {
      const clients = byOwner.get(uf.owner);
      if (!clients) continue;
      const text = JSON.stringify(uf.frame);
      for (const c of clients) if (c.markets.size === 0 || c.markets.has(uf.market)) deliver(c, text);
    }
  });

  function subscribeAssets(c: MarketClient, ids: unknown): string[] {
    const added: string[] = [];
    for (const id of Array.isArray(ids) ? ids : []) {
      if (typeof id !== "string" || c.assets.has(id)) continue;
      c.assets.add(id);
      const set = byAsset.get(id) ?? new Set<MarketClient>();
      byAsset.set(id, set);
      set.add(c);
      added.push(id);
    }
    return added;
  }

  function unsubscribeAssets(c: MarketClient, ids: unknown): void {
    for (const id of Array.isArray(ids) ? ids : []) {
      c.assets.delete(id);
      byAsset.get(id)?.delete(c);
    }
  }

  function sendBooks(c: MarketClient, ids: string[]): void {
    const frames = ids.flatMap((id) => {
      const book = engine.book(id, clock());
      return book ? [bookFrame(book)] : [];
    });
    // The initial dump arrives as one array frame, as the real venue sends it.
    if (frames.length > 0) deliver(c, JSON.stringify(frames));
  }

  function onMarketMessage(c: MarketClient, text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof msg !== "object" || msg === null) return;
    if (msg.custom_feature_enabled !== undefined) c.custom = msg.custom_feature_enabled === true;
    if (msg.operation === "unsubscribe") {
      unsubscribeAssets(c, msg.assets_ids);
      return;
    }
    const added = subscribeAssets(c, msg.assets_ids);
    const wantsDump = msg.operation === "subscribe" || msg.initial_dump !== false;
    c.subscribed = true;
    if (wantsDump) sendBooks(c, added);
  }

  function onUserMessage(c: UserClient, text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof msg !== "object" || msg === null) return;
    const markets = Array.isArray(msg.markets)
      ? msg.markets.filter((m): m is string => typeof m === "string")
      : [];
    if (c.owner === undefined) {
      const auth = (msg.auth ?? {}) as Record<string, unknown>;
      const key = typeof auth.apiKey === "string" ? apiKeys.get(auth.apiKey) : undefined;
      if (!key || auth.secret !== key.secret || auth.passphrase !== key.passphrase) {
        c.ws.close(1008, "invalid authentication");
        return;
      }
      c.owner = key.key;
      const set = byOwner.get(key.key) ?? new Set<UserClient>();
      byOwner.set(key.key, set);
      set.add(c);
      for (const m of markets) c.markets.add(m);
      return;
    }
    if (msg.operation === "unsubscribe") for (const m of markets) c.markets.delete(m);
    else for (const m of markets) c.markets.add(m);
  }

  const wss = new WebSocketServer({ noServer: true });

  function onConnection(ws: WebSocket, channel: "market" | "user"): void {
    if (channel === "market") {
      const c: MarketClient = { ws, assets: new Set(), custom: false, subscribed: false };
      marketClients.add(c);
      ws.on("message", (data: RawData) => {
        const text = data.toString();
        if (text === "PING") ws.send("PONG");
        else onMarketMessage(c, text);
      });
      ws.on("close", () => {
        marketClients.delete(c);
        for (const a of c.assets) byAsset.get(a)?.delete(c);
      });
    } else {
      const c: UserClient = { ws, markets: new Set() };
      userClients.add(c);
      ws.on("message", (data: RawData) => {
        const text = data.toString();
        if (text === "PING") ws.send("PONG");
        else onUserMessage(c, text);
      });
      ws.on("close", () => {
        userClients.delete(c);
        if (c.owner) byOwner.get(c.owner)?.delete(c);
      });
    }
    ws.on("error", (err) => logger?.debug({ err: err.message }, "WebSocket client error"));
  }

  // ------------------------------------------------------------------ HTTP
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    req.rawBody = text;
    if (text === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HttpError(400, "invalid JSON body"), undefined);
    }
  });

  app.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof HttpError) {
      return reply.code(err.status).headers(err.headers).send({ error: err.message });
    }
    if (err instanceof AuthError) return reply.code(err.status).send({ error: err.message });
    if (err instanceof VenueClosed) return reply.code(503).send({ error: err.message });
    if (err instanceof OrderRejected) return reply.code(400).send({ error: err.message });
    if (err instanceof ZodError) {
      return reply
        .code(400)
        .send({ error: err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status < 500) return reply.code(status).send({ error: (err as Error).message });
    logger?.error({ err }, "venue request failed");
    return reply.code(500).send({ error: "Internal server error" });
  });

  app.addHook("onRequest", async (req) => {
    const path = pathOf(req.url);
    if (path.startsWith("/admin") || path.startsWith("/gamma")) return;
    const f = faults.current;
    if (f.latencyMs > 0) await new Promise((r) => setTimeout(r, f.latencyMs));
    const injected = faults.httpError();
    if (injected) {
      throw new HttpError(
        injected.status,
        injected.message,
        injected.retryAfterSec !== undefined ? { "retry-after": String(injected.retryAfterSec) } : {},
      );
    }
  });

  const l2 = (req: FastifyRequest): ApiKey =>
    verifyL2(apiKeys, req.headers, req.method, pathOf(req.url), req.rawBody ?? "");

  const query = (req: FastifyRequest) => req.query as Record<string, string | undefined>;

  function tokenOrThrow(tokenId: string | undefined): VenueMarket {
    const m = tokenId ? engine.marketOfToken(tokenId) : undefined;
    if (!m) throw new HttpError(404, "No orderbook exists for the requested token id");
    return m;
  }

  function bookSummary(tokenId: string) {
    tokenOrThrow(tokenId);
    const book = engine.book(tokenId, clock());
    if (!book) throw new HttpError(404, "No orderbook exists for the requested token id");
    const frame = bookFrame(book);
    const last = engine.lastTradePrice(tokenId);
    const summary = {
      market: book.market,
      asset_id: tokenId,
      timestamp: String(book.timestampMs),
      hash: "",
      bids: frame.bids,
      asks: frame.asks,
      min_order_size: dec(book.minOrderSize),
      tick_size: dec(book.tickSize),
      neg_risk: false,
      last_trade_price: last ? dec(last.price) : "",
    };
    // The client's getOrderBookHash: SHA-1 of the summary serialized with an empty hash.
    summary.hash = createHash("sha1").update(JSON.stringify(summary)).digest("hex");
    return summary;
  }

  function issueKey(req: FastifyRequest) {
    const { address, nonce } = verifyL1(req.headers, o.chainId);
    const key = core.issueKey(address, nonce);
    return { apiKey: key.key, secret: key.secret, passphrase: key.passphrase };
  }

  /** Journals a POST /order(s)'s entries as received, holds them if asked to, then places each. */
  async function receive(key: ApiKey, route: SubmissionRoute, bodies: unknown[]) {
    const heldMs = submissions.holdFor(key, bodies);
    const entries = core.receive(key, route, bodies, heldMs);
    if (heldMs > 0) await delay(heldMs, undefined, { ref: false });
    return entries;
  }

  function marketInfo(m: VenueMarket) {
    const status = engine.marketStatus(m.conditionId);
    return {
      c: m.conditionId,
      t: [
        { t: m.tokenIds[0], o: "Up" },
        { t: m.tokenIds[1], o: "Down" },
      ],
      mts: Number(dec(engine.tickSize(m.tokenIds[0]) ?? m.tickSize)),
      nr: false,
      fd: { r: Number(dec(m.feeRate)), e: m.feeExponent, to: true },
      mbf: 0,
      tbf: 0,
      mos: Number(dec(m.minOrderSize)),
      ao: status === "listed" || status === "open",
      r: null,
    };
  }

  function gammaState(m: VenueMarket): GammaState {
    const now = clock();
    const status = engine.marketStatus(m.conditionId) ?? "listed";
    const resolution = simulation.resolution(m);
    // A resolved market's fair value is its payoff (its price path may be forgotten by now).
    const fair = resolution
      ? resolution.winner === "Up"
        ? 1_000_000
        : 0
      : Math.round(simulation.model.fairValue(m, Math.min(Math.max(now, m.startMs), m.endMs)) * 1_000_000);
    const bid = engine.bestBid(m.tokenIds[0]);
    const ask = engine.bestAsk(m.tokenIds[0]);
    const last = engine.lastTradePrice(m.tokenIds[0]);
    const state: GammaState = {
      nowMs: now,
      status,
      upPrice: fair,
      bestBid: bid?.price ?? null,
      bestAsk: ask?.price ?? null,
      lastTradePrice: last?.price ?? null,
    };
    if (status === "resolved" && resolution) {
      state.winner = resolution.winner;
      state.resolvedAtMs = m.endMs;
    }
    return state;
  }

  const rawQuery = (req: FastifyRequest) => req.url.split("?")[1] ?? "";

  // Public CLOB
  app.get("/ok", async () => "OK");
  app.get("/time", async () => seconds(clock()));
  app.get("/version", async () => ({ version: 2 }));
  app.post("/auth/api-key", async (req) => issueKey(req));
  app.get("/auth/derive-api-key", async (req) => issueKey(req));
  app.get("/book", async (req) => bookSummary(query(req).token_id ?? ""));
  app.post("/books", async (req) => {
    const body = req.body as { token_id?: string }[] | undefined;
    if (!Array.isArray(body)) throw new HttpError(400, "body must be an array of {token_id}");
    return body.map((b) => bookSummary(b.token_id ?? ""));
  });
  app.get("/price", async (req) => {
    const { token_id, side } = query(req);
    tokenOrThrow(token_id);
    const level =
      side?.toUpperCase() === "SELL" ? engine.bestBid(token_id ?? "") : engine.bestAsk(token_id ?? "");
    if (!level) throw new HttpError(404, "No orders found for the requested side");
    return { price: dec(level.price) };
  });
  app.get("/midpoint", async (req) => {
    const id = query(req).token_id ?? "";
    tokenOrThrow(id);
    const bid = engine.bestBid(id);
    const ask = engine.bestAsk(id);
    if (!bid || !ask) throw new HttpError(404, "No orderbook exists for the requested token id");
    return { mid: dec(Math.round((bid.price + ask.price) / 2)) };
  });
  app.get("/spread", async (req) => {
    const id = query(req).token_id ?? "";
    tokenOrThrow(id);
    const bid = engine.bestBid(id);
    const ask = engine.bestAsk(id);
    return { spread: bid && ask ? dec(ask.price - bid.price) : "" };
  });
  app.get("/tick-size", async (req) => {
    const id = query(req).token_id ?? "";
    tokenOrThrow(id);
    return { minimum_tick_size: Number(dec(engine.tickSize(id) ?? 10_000)) };
  });
  app.get("/neg-risk", async (req) => {
    tokenOrThrow(query(req).token_id);
    return { neg_risk: false };
  });
  // V2 orders carry no fee; fees are set at match time from the market's fd parameters.
  app.get("/fee-rate", async (req) => {
    tokenOrThrow(query(req).token_id);
    return { base_fee: 0 };
  });
  app.get("/clob-markets/:conditionId", async (req) => {
    const m = engine.market((req.params as { conditionId: string }).conditionId);
    if (!m) throw new HttpError(404, "market not found");
    return marketInfo(m);
  });
  app.get("/markets-by-token/:tokenId", async (req) => {
    const m = tokenOrThrow((req.params as { tokenId: string }).tokenId);
    return { condition_id: m.conditionId };
  });
  app.get("/markets/:conditionId", async (req) => {
    const m = engine.market((req.params as { conditionId: string }).conditionId);
    if (!m) throw new HttpError(404, "market not found");
    const status = engine.marketStatus(m.conditionId);
    const g = gammaState(m);
    return {
      enable_order_book: true,
      active: status !== "resolved",
      closed: status === "closed" || status === "resolved",
      archived: false,
      accepting_orders: status === "listed" || status === "open",
      minimum_order_size: Number(dec(m.minOrderSize)),
      minimum_tick_size: Number(dec(engine.tickSize(m.tokenIds[0]) ?? m.tickSize)),
      condition_id: m.conditionId,
      question_id: m.questionId,
      question: questionFor(m),
      market_slug: m.slug,
      end_date_iso: new Date(m.endMs).toISOString(),
      game_start_time: new Date(m.startMs).toISOString(),
      neg_risk: false,
      maker_base_fee: 0,
      taker_base_fee: 0,
      tokens: m.tokenIds.map((t, i) => ({
        token_id: t,
        outcome: i === 0 ? "Up" : "Down",
        price: i === 0 ? g.upPrice / 1e6 : 1 - g.upPrice / 1e6,
        winner: g.winner !== undefined && g.winner === (i === 0 ? "Up" : "Down"),
      })),
    };
  });

  // Private CLOB (L2)
  app.post("/order", async (req, reply) => {
    const key = l2(req);
    const [journalled] = await receive(key, "POST /order", [req.body]);
    const result = core.place(journalled!);
    if (!result.success) return reply.code(400).send({ error: result.errorMsg ?? "order rejected" });
    return orderResponse(result);
  });
  app.post("/orders", async (req) => {
    const key = l2(req);
    const body = req.body;
    if (!Array.isArray(body)) throw new HttpError(400, "body must be an array of orders");
    if (body.length > MAX_BATCH) throw new HttpError(400, "Too many orders in payload");
    const journalled = await receive(key, "POST /orders", body);
    return journalled.map((entry) => {
      try {
        return orderResponse(core.place(entry));
      } catch (err) {
        if (err instanceof OrderRejected) {
          return {
            ...orderResponse({ success: false, orderId: "", tradeIds: [], makingAmount: 0, takingAmount: 0 }),
            errorMsg: err.message,
          };
        }
        throw err;
      }
    });
  });
  app.delete("/order", async (req) => {
    const key = l2(req);
    const id = (req.body as { orderID?: string } | undefined)?.orderID;
    if (typeof id !== "string") throw new HttpError(400, "orderID is required");
    return core.cancel(key.key, [id]);
  });
  app.delete("/orders", async (req) => {
    const key = l2(req);
    const ids = req.body;
    if (!Array.isArray(ids) || ids.some((i) => typeof i !== "string")) {
      throw new HttpError(400, "body must be an array of order ids");
    }
    return core.cancel(key.key, ids as string[]);
  });
  app.delete("/cancel-all", async (req) => core.cancelAll(l2(req).key));
  app.delete("/cancel-market-orders", async (req) => {
    const key = l2(req);
    const b = (req.body ?? {}) as { market?: string; asset_id?: string };
    return core.cancelMarket(key.key, {
      ...(b.market ? { market: b.market } : {}),
      ...(b.asset_id ? { assetId: b.asset_id } : {}),
    });
  });
  app.get("/data/orders", async (req) => {
    const key = l2(req);
    const q = query(req);
    const orders = engine.openOrders(key.key, {
      ...(q.id ? { id: q.id } : {}),
      ...(q.market ? { market: q.market } : {}),
      ...(q.asset_id ? { assetId: q.asset_id } : {}),
    });
    return page(orders, q.next_cursor, openOrderJson);
  });
  app.get("/data/order/:id", async (req) => {
    const key = l2(req);
    const order = engine.getOrder((req.params as { id: string }).id);
    if (!order || order.owner !== key.key) throw new HttpError(404, "order not found");
    return openOrderJson(order);
  });
  app.get("/data/trades", async (req) => {
    const key = l2(req);
    const q = query(req);
    const trades = engine.trades(key.key, {
      ...(q.id ? { id: q.id } : {}),
      ...(q.market ? { market: q.market } : {}),
      ...(q.asset_id ? { assetId: q.asset_id } : {}),
      ...(q.before ? { before: Number(q.before) * 1000 } : {}),
      ...(q.after ? { after: Number(q.after) * 1000 } : {}),
    });
    return page(trades, q.next_cursor, (t) => tradeJson(t, key.key));
  });
  app.post("/v1/heartbeats", async (req) => ({ heartbeat_id: core.heartbeat(l2(req).key) }));
  const balanceAllowance = async (req: FastifyRequest) => {
    const key = l2(req);
    const q = query(req);
    const balance = engine.balance(key.address.toLowerCase());
    const amount =
      q.asset_type === "CONDITIONAL" ? (balance.shares[q.token_id ?? ""] ?? 0) : balance.collateral;
    return {
      balance: String(amount),
      allowances: {
        "0xE111180000d2663C0091e4f400237545B87B996B":
          "115792089237316195423570985008687907853269984665640564039457584007913129639935",
      },
    };
  };
  app.get("/balance-allowance", balanceAllowance);
  app.get("/balance-allowance/update", balanceAllowance);

  // Gamma
  const gammaMarkets = () => simulation.markets().map((m) => gammaMarket(m, gammaState(m)));
  const gammaEvents = () => simulation.markets().map((m) => gammaEvent(m, gammaState(m)));
  app.get("/gamma/markets", async (req) => filterGamma(gammaMarkets(), parseGammaQuery(rawQuery(req))));
  app.get("/gamma/events", async (req) => filterGamma(gammaEvents(), parseGammaQuery(rawQuery(req))));
  app.get("/gamma/markets/slug/:slug", async (req) => {
    const m = simulation.marketBySlug((req.params as { slug: string }).slug);
    if (!m) throw new HttpError(404, "not found");
    return gammaMarket(m, gammaState(m));
  });
  app.get("/gamma/events/slug/:slug", async (req) => {
    const m = simulation.marketBySlug((req.params as { slug: string }).slug);
    if (!m) throw new HttpError(404, "not found");
    return gammaEvent(m, gammaState(m));
  });

  // Admin (loopback only, unauthenticated)
  app.get("/admin/orders", async (req) => ({ orders: submissions.list(query(req).owner) }));
  app.get("/admin/hold-orders", async () => ({ holds: submissions.holds() }));
  app.post("/admin/hold-orders", async (req) => ({ holds: submissions.hold(req.body) }));
  app.delete("/admin/hold-orders", async () => {
    submissions.clearHolds();
    return { holds: [] };
  });
  app.get("/admin/faults", async () => faults.current);
  app.post("/admin/faults", async (req) => {
    const f = faults.update(req.body ?? {});
    rearmDrops();
    return f;
  });
  app.delete("/admin/faults", async () => {
    const f = faults.reset();
    rearmDrops();
    return f;
  });
  app.get("/admin/fail-next-trades", async () => ({ failing: engine.pendingTradeFailures() }));
  app.post("/admin/fail-next-trades", async (req) => {
    const n = Number((req.body as { count?: number } | undefined)?.count ?? 1);
    if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, "count must be a whole number >= 0");
    return { failing: core.setFailNextTrades(n) };
  });
  app.delete("/admin/fail-next-trades", async () => ({ failing: core.setFailNextTrades(0) }));
  app.post("/admin/drop-connections", async () => {
    const n = dropConnections();
    return { dropped: n };
  });
  app.post("/admin/fund", async (req) => {
    const b = (req.body ?? {}) as { address?: string; amount?: string | number };
    if (typeof b.address !== "string" || b.amount === undefined)
      throw new HttpError(400, "address and amount are required");
    let amount: Micros;
    try {
      amount = parseMicros(b.amount);
    } catch (err) {
      throw new HttpError(400, `amount: ${(err as Error).message}`);
    }
    if (amount < 0) throw new HttpError(400, "amount must be >= 0");
    core.fund(b.address, amount);
    return { ok: true };
  });
  app.get("/admin/state", async () => {
    const now = clock();
    return {
      now: new Date(now).toISOString(),
      seed: o.seed,
      journal: journalFile ?? null,
      failNextTrades: engine.pendingTradeFailures(),
      retained: engine.retained(),
      faults: faults.current,
      connections: { market: marketClients.size, user: userClients.size },
      markets: simulation.markets().map((m) => ({
        slug: m.slug,
        conditionId: m.conditionId,
        status: engine.marketStatus(m.conditionId),
        tokenIds: m.tokenIds,
        startsAt: new Date(m.startMs).toISOString(),
        endsAt: new Date(m.endMs).toISOString(),
        upBestAsk: engine.bestAsk(m.tokenIds[0])?.price ?? null,
        downBestAsk: engine.bestAsk(m.tokenIds[1])?.price ?? null,
      })),
      accounts: apiKeys.all().map((k) => {
        const b = engine.balance(k.address.toLowerCase());
        return { apiKey: k.key, address: k.address, collateral: dec(b.collateral) };
      }),
    };
  });

  // ------------------------------------------------------------------ timers and lifecycle
  function dropConnections(): number {
    let n = 0;
    for (const c of [...marketClients, ...userClients]) {
      c.ws.terminate();
      n += 1;
    }
    return n;
  }

  let dropTimer: NodeJS.Timeout | undefined;
  function rearmDrops(): void {
    if (dropTimer) clearInterval(dropTimer);
    dropTimer = undefined;
    const every = faults.current.dropWsEveryMs;
    if (every > 0) {
      dropTimer = setInterval(dropConnections, every);
      dropTimer.unref();
    }
  }
  rearmDrops();

  function tick(): void {
    core.tick();
    flushHeld();
  }

  try {
    core.start();
  } catch (err) {
    core.close();
    throw err;
  }
  let tickTimer: NodeJS.Timeout | undefined;
  if (options.autoTick !== false) {
    tickTimer = setInterval(() => {
      try {
        tick();
      } catch (err) {
        logger?.error({ err }, "simulation step failed");
      }
    }, o.stepMs);
  }

  app.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = pathOf(req.url ?? "");
    const channel = path === "/ws/market" ? "market" : path === "/ws/user" ? "user" : undefined;
    if (!channel) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, channel));
  });

  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (err) {
    if (tickTimer) clearInterval(tickTimer);
    if (dropTimer) clearInterval(dropTimer);
    core.close();
    wss.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : o.port;
  const base = `http://${o.host}:${port}`;
  const urls: VenueUrls = {
    clob: base,
    gamma: `${base}/gamma`,
    ws: `ws://${o.host}:${port}/ws`,
    wsMarket: `ws://${o.host}:${port}/ws/market`,
    wsUser: `ws://${o.host}:${port}/ws/user`,
    admin: `${base}/admin`,
  };

  return {
    urls,
    port,
    simulation,
    faults,
    apiKeys,
    tick,
    ...(journalFile !== undefined ? { journalFile } : {}),
    async close() {
      if (tickTimer) clearInterval(tickTimer);
      if (dropTimer) clearInterval(dropTimer);
      // Nothing changes from here on: what the journal holds is the state a restart finds.
      core.close();
      for (const c of [...marketClients, ...userClients]) c.ws.terminate();
      wss.close();
      await app.close();
    },
  };
}
