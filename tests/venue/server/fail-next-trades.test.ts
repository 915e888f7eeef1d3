/**
 * POST /admin/fail-next-trades sets how many of the next trades fail, GET reports it, DELETE (or a
 * count of 0) clears it: a test that asked for failures can take the request back.
 */
import { OrderType, Side } from "@polymarket/clob-client-v2";
import type { VenueMarket } from "../../../src/venue/types";
import { newTrader, startTestVenue, type TestVenue, type Trader } from "../../helpers/venue";

/** No simulated traders: every trade is one of this test's. */
const QUIET = {
  lp: { levels: 0 },
  noise: { ratePerSec: 0 },
  informed: { ratePerSec: 0 },
  sweep: { ratePerMin: 0 },
  dislocation: { ratePerMin: 0 },
  rival: { probability: 0 },
};

describe("the fail-next-trades admin call", () => {
  let venue: TestVenue;
  let alice: Trader;
  let bob: Trader;
  let market: VenueMarket;

  beforeAll(async () => {
    venue = await startTestVenue({ model: QUIET });
    venue.advance(1_000);
    alice = await newTrader(venue);
    bob = await newTrader(venue);
    const open = venue.simulation
      .markets()
      .find((m) => venue.simulation.engine.marketStatus(m.conditionId) === "open");
    if (!open) throw new Error("no open market");
    market = open;
  });
  afterAll(async () => {
    await venue?.close();
  });

  const call = async (method: string, body?: object) => {
    const res = await fetch(`${venue.urls.admin}/fail-next-trades`, {
      method,
      ...(body ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() };
  };

  /** Alice bids for Up, Bob buys Down against it (a mint); returns the trade's status once settled. */
  async function tradeStatus(): Promise<string> {
    const [up, down] = market.tokenIds;
    await alice.client.postOrder(
      await alice.client.createOrder({ tokenID: up, price: 0.4, size: 5, side: Side.BUY }),
      OrderType.GTC,
      true,
      true,
    );
    const taken = await bob.client.postOrder(
      await bob.client.createOrder({ tokenID: down, price: 0.6, size: 5, side: Side.BUY }),
      OrderType.FAK,
      false,
      true,
    );
    expect(taken).toMatchObject({ success: true, status: "matched" });
    venue.advance(2_500);
    const [trade] = await bob.client.getTrades({ id: taken.tradeIDs?.[0] });
    return trade!.status;
  }

  it("reports, sets and clears the failures asked for", async () => {
    expect(await call("GET")).toEqual({ status: 200, body: { failing: 0 } });
    expect(await call("POST", { count: 3 })).toEqual({ status: 200, body: { failing: 3 } });
    expect(await call("GET")).toEqual({ status: 200, body: { failing: 3 } });
    // A new count replaces the old one; 0 clears it.
    expect(await call("POST", { count: 0 })).toEqual({ status: 200, body: { failing: 0 } });
    expect(await call("GET")).toEqual({ status: 200, body: { failing: 0 } });
    expect(await tradeStatus()).toBe("MINED");

    expect(await call("POST", { count: 2 })).toEqual({ status: 200, body: { failing: 2 } });
    expect(await call("DELETE")).toEqual({ status: 200, body: { failing: 0 } });
    expect(await tradeStatus()).toBe("MINED");

    expect(await call("POST", { count: 1 })).toEqual({ status: 200, body: { failing: 1 } });
    expect(await tradeStatus()).toBe("FAILED");
    expect(await call("GET")).toEqual({ status: 200, body: { failing: 0 } });

    expect(await call("POST", { count: -1 })).toEqual({
      status: 400,
      body: { error: "count must be a whole number >= 0" },
    });
  });
});
