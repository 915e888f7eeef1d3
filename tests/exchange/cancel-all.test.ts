/**
 * The cancelAllOrders activity (what a global halt runs) against the simulator: it cancels every open order
 * of our key in every market — also a market whose window has not opened (no session trades it yet) — and
 * says how many; another trader's orders stay.
 */
import { Wallet } from "ethers";
import { createExchangeActivities } from "../../activities/exchange/activities";
import { parseMicros } from "../../src/money";
import { createExchange, type Exchange } from "../../src/polymarket/exchange";
import type { VenueMarket } from "../../src/venue/types";
import { startTestVenue, type TestVenue } from "../helpers/venue";

const m = parseMicros;

let venue: TestVenue;
beforeAll(async () => {
  venue = await startTestVenue();
  venue.advance(5_000);
});
afterAll(async () => {
  await venue?.close();
});

async function trader(): Promise<{
  exchange: Exchange;
  activities: ReturnType<typeof createExchangeActivities>;
}> {
  const exchange = await createExchange({
    clobUrl: venue.urls.clob,
    chainId: 137,
    privateKey: Wallet.createRandom().privateKey,
  });
  return { exchange, activities: createExchangeActivities({ exchange: async () => exchange }) };
}

/** A resting BUY far below the market (it will not match). */
async function rest(
  t: Awaited<ReturnType<typeof trader>>,
  market: VenueMarket,
  salt: number,
): Promise<string> {
  const tokenId = market.tokenIds[0];
  const placed = await t.activities.placeOrder({
    market: market.conditionId,
    orderType: "GTC",
    intent: {
      tokenId,
      side: "BUY",
      price: m("0.05"),
      size: m("20"),
      tickSize: venue.simulation.engine.tickSize(tokenId)!,
      negRisk: false,
      salt,
      timestampMs: venue.now(),
    },
  });
  expect(placed).toMatchObject({ accepted: true, status: "live" });
  return placed.orderId;
}

it("cancels every open order of our key, in every market (also one not open yet), and counts them", async () => {
  const engine = venue.simulation.engine;
  const open = venue.simulation.markets().find((mk) => engine.marketStatus(mk.conditionId) === "open");
  const listed = venue.simulation.markets().find((mk) => engine.marketStatus(mk.conditionId) === "listed");
  if (!open || !listed) throw new Error("the simulator lists no open and upcoming market");

  const us = await trader();
  const other = await trader();
  const ours = [await rest(us, open, 1), await rest(us, open, 2), await rest(us, listed, 3)];
  const theirs = await rest(other, listed, 4);
  expect((await us.exchange.openOrders()).map((o) => o.id).sort()).toEqual([...ours].sort());

  expect(await us.activities.cancelAllOrders()).toBe(3);
  expect(await us.exchange.openOrders()).toEqual([]);
  for (const id of ours) expect(engine.getOrder(id)?.status).toMatch(/CANCEL/i);
  expect((await other.exchange.openOrders()).map((o) => o.id)).toEqual([theirs]);
  // Nothing left: a second halt cancels none.
  expect(await us.activities.cancelAllOrders()).toBe(0);
});
