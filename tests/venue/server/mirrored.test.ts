/**
 * The venue's `mirrored` option (`ballast venue --mirrored`) reaches its engine: over HTTP, a BUY of Up at
 * 0.40 shows in Down's book as an ask at 0.60 of the same size, as on the real venue; without the option
 * Down's book stays apart (two books). The engine's own rules: tests/venue/engine/mirrored.test.ts.
 */
import { OrderType, Side } from "@polymarket/clob-client-v2";
import { QUIET_MARKET } from "../../helpers/stack";
import { newTrader, openMarket, startTestVenue, type TestVenue } from "../../helpers/venue";

async function downAsksAfterUpBid(mirrored: boolean): Promise<{ price: string; size: string }[]> {
  const venue: TestVenue = await startTestVenue({
    model: QUIET_MARKET,
    ...(mirrored ? { mirrored: true } : {}),
  });
  try {
    venue.advance(1_000);
    const alice = await newTrader(venue);
    const market = openMarket(venue);
    const [up, down] = market.tokenIds;
    const placed = await alice.client.postOrder(
      await alice.client.createOrder({ tokenID: up, price: 0.4, size: 5, side: Side.BUY }),
      OrderType.GTC,
      true,
      true,
    );
    expect(placed.success).toBe(true);
    const book = (await (await fetch(`${venue.urls.clob}/book?token_id=${down}`)).json()) as {
      asks: { price: string; size: string }[];
    };
    return book.asks.map((l) => ({ price: l.price, size: l.size }));
  } finally {
    await venue.close();
  }
}

describe("the venue's mirrored option", () => {
  it("shows a BUY of Up at 0.40 as Down's ask at 0.60, same size, when on", async () => {
    expect(await downAsksAfterUpBid(true)).toEqual([{ price: "0.6", size: "5" }]);
  });

  it("keeps Down's book apart when off (the default)", async () => {
    expect(await downAsksAfterUpBid(false)).toEqual([]);
  });
});
