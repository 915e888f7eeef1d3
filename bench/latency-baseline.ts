/**
 * The latency bench's non-durable baseline (a child process of bench/latency.ts): the streaming
 * worker's own feed code (runMarketFeed, the same decoding, book building and detection on every book)
 * with its `execute` Update replaced by a direct call of the same `placeOrder` activity function
 * (signing and posting both legs) — the hot path with Temporal taken out, nothing else.
 *
 * Env: the bench's worker env (CLOB_URL, WS_URL, POLY_PRIVATE_KEY, …). Reads one JSON line per market
 * on IPC (a MarketRef without the asset) and feeds it until its end; answers "ready" once its channel is up.
 */
import { Wallet } from "ethers";
import { createExchangeActivities, type PlaceOrderRequest } from "../activities/exchange/activities";
import { runMarketFeed } from "../activities/streaming/market-feed";
import { loadConfig } from "../src/config/load";
import type { Micros } from "../src/money";
import { obtainApiCredentials } from "../src/polymarket/credentials";
import { SHARE_LOT } from "../src/protocol/amounts";
import type { MarketRef } from "../src/session/market";
import type { ExecuteRequest } from "../src/session/messages";
import { detectOpportunity } from "../src/strategy/arbitrage";
import { lazyExchange } from "../workers/workflow-worker";

/** A market as the bench sends it: the session's MarketRef without the asset. */
type BaselineMarket = Omit<MarketRef, "asset">;

async function main() {
  const config = loadConfig({ env: process.env });
  const privateKey = process.env.POLY_PRIVATE_KEY;
  if (!privateKey) throw new Error("POLY_PRIVATE_KEY is not set");
  const exchange = lazyExchange(config, privateKey);
  const orders = createExchangeActivities({ exchange });
  const apiCreds = await obtainApiCredentials(
    { clobUrl: config.venue.clobUrl, chainId: config.venue.chainId, privateKey },
    new Wallet(privateKey),
    {},
  );
  await exchange(); // credentials and client ready before the first sample, as in a warm worker
  let salt = 0;
  let next = 0;
  const feeds = new Map<string, AbortController>();

  async function feed(m: BaselineMarket): Promise<void> {
    const abort = new AbortController();
    feeds.set(m.slug, abort);
    const rules = {
      tickSize: m.tickSize,
      minOrderSize: m.minOrderSize,
      feeRate: m.feeRate,
      feeExponent: m.feeExponent,
    };
    const params = config.arbitrage;
    await runMarketFeed(
      {
        slug: m.slug,
        conditionId: m.conditionId,
        upTokenId: m.upTokenId,
        downTokenId: m.downTokenId,
        endMs: m.endMs,
        sessionWorkflowId: "baseline",
        detection: {
          minSpread: params.minSpread,
          budgetPerTrade: params.budgetPerTrade,
          rebalanceFreezeMs: params.rebalanceFreezeMs,
          startMs: m.startMs,
          ...rules,
        },
      },
      {
        wsUrl: config.venue.wsUrl,
        exchangeFor: exchange,
        apiCreds,
        signal: async () => undefined,
        // Always "armed": a fresh id each time, since an id that executed is not taken again.
        query: async () => ({ armedPositionId: `baseline-${++next}` }),
        update: async (_id, _name, arg) => {
          const { book } = arg as ExecuteRequest;
          const tick = book.tickSize || rules.tickSize;
          const o = detectOpportunity(book, { ...rules, tickSize: tick }, params);
          if (!o) throw new Error("no opportunity");
          const leg = (tokenId: string, price: Micros, shares: Micros): PlaceOrderRequest => ({
            market: m.conditionId,
            orderType: "FAK",
            intent: {
              tokenId,
              side: "BUY",
              price,
              size: Math.floor(shares / SHARE_LOT) * SHARE_LOT,
              tickSize: tick,
              negRisk: false,
              salt: (Date.now() % 1_000_000_000) * 1000 + (++salt % 1000),
              timestampMs: Date.now(),
            },
          });
          await Promise.all([
            orders.placeOrder(leg(m.upTokenId, o.upLimitPrice, o.upShares)),
            orders.placeOrder(leg(m.downTokenId, o.downLimitPrice, o.downShares)),
          ]);
          return { positionId: "baseline" };
        },
        cancellationSignal: abort.signal,
      },
    );
    feeds.delete(m.slug);
  }

  process.on("message", (msg) => {
    const m = msg as BaselineMarket;
    if (feeds.has(m.slug)) return;
    void feed(m).catch((err) => process.send?.({ error: String(err) }));
    // The feed's channels connect within a few ms; the bench waits for the first book anyway.
    process.send?.({ ready: m.slug });
  });
  process.send?.({ started: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
