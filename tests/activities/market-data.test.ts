/**
 * Market resolution reads: Gamma first, then the CLOB's own market record, so a market that Gamma no
 * longer lists still resolves.
 */

import { createMarketDataActivities } from "../../activities/market-data";
import { toMarketWinner } from "../../src/polymarket/conversions";

const SLUG = "btc-updown-15m-1767225600";
const CONDITION = "0xcondition";

/** A Gamma /markets?slug= answer: [] (not listed), a closed market with its outcome prices, or an HTTP error. */
function gamma(answer: unknown[] | number): typeof fetch {
  return (async () =>
    typeof answer === "number"
      ? new Response("unavailable", { status: answer })
      : Response.json(answer)) as unknown as typeof fetch;
}

const closedMarket = (outcomePrices: [string, string]) => ({
  id: "1",
  slug: SLUG,
  conditionId: CONDITION,
  question: "Bitcoin Up or Down",
  outcomes: '["Up", "Down"]',
  outcomePrices: JSON.stringify(outcomePrices),
  clobTokenIds: '["1", "2"]',
  endDate: "2026-01-01T00:15:00Z",
  closed: true,
  active: true,
  orderPriceMinTickSize: 0.01,
  orderMinSize: 5,
});

function activities(fetchImpl: typeof fetch, clob: () => Promise<"UP" | "DOWN" | undefined>) {
  const asked: string[] = [];
  const acts = createMarketDataActivities({
    gammaUrl: "http://gamma.test",
    fetch: fetchImpl,
    exchange: async () => ({
      feeParams: async () => ({ rate: 70_000, exponent: 1 }),
      marketWinner: async (conditionId: string) => {
        asked.push(conditionId);
        return clob();
      },
    }),
  });
  return { acts, asked };
}

describe("marketResolution", () => {
  it("takes Gamma's winner without asking the CLOB", async () => {
    const { acts, asked } = activities(gamma([closedMarket(["0", "1"])]), async () => "UP");
    await expect(acts.marketResolution({ slug: SLUG, conditionId: CONDITION })).resolves.toBe("DOWN");
    expect(asked).toEqual([]);
  });

  it("asks the CLOB when Gamma does not list the market", async () => {
    const { acts, asked } = activities(gamma([]), async () => "UP");
    await expect(acts.marketResolution({ slug: SLUG, conditionId: CONDITION })).resolves.toBe("UP");
    expect(asked).toEqual([CONDITION]);
  });

  it("asks the CLOB when Gamma is down, and fails (to be retried) only when both are", async () => {
    const up = activities(gamma(503), async () => "DOWN");
    await expect(up.acts.marketResolution({ slug: SLUG, conditionId: CONDITION })).resolves.toBe("DOWN");
    const down = activities(gamma(503), async () => {
      throw new Error("connect ECONNREFUSED");
    });
    await expect(down.acts.marketResolution({ slug: SLUG, conditionId: CONDITION })).rejects.toThrow(
      /no resolution source answered for btc-updown-15m-1767225600: Gamma: .*503.*; CLOB: .*ECONNREFUSED/,
    );
  });

  it("is not resolved while neither source shows a winner", async () => {
    const { acts } = activities(gamma([closedMarket(["0.5", "0.5"])]), async () => undefined);
    await expect(acts.marketResolution({ slug: SLUG, conditionId: CONDITION })).resolves.toBeUndefined();
  });
});

describe("toMarketWinner (GET /markets/{conditionId})", () => {
  it("reads the token marked winner by its outcome name", () => {
    const tokens = (upWins: boolean) => [
      { token_id: "1", outcome: "Up", price: upWins ? 1 : 0, winner: upWins },
      { token_id: "2", outcome: "Down", price: upWins ? 0 : 1, winner: !upWins },
    ];
    expect(toMarketWinner({ tokens: tokens(true) })).toBe("UP");
    expect(toMarketWinner({ tokens: tokens(false) })).toBe("DOWN");
    expect(toMarketWinner({ tokens: tokens(false).map((t) => ({ ...t, winner: false })) })).toBeUndefined();
    expect(toMarketWinner({})).toBeUndefined();
    expect(toMarketWinner(null)).toBeUndefined();
  });
});
