/**
 * Gamma market payloads (the fields Ballast uses). `outcomes`, `outcomePrices` and `clobTokenIds`
 * arrive as JSON-encoded strings; index 0 is Up.
 */
import { z } from "zod";
import { parseMicros } from "../money";

const jsonStringArray = z.string().transform((s, ctx) => {
  try {
    const v = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: "must be a JSON-encoded array of strings" });
  return z.NEVER;
});

const decimal = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseMicros(v);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
    return z.NEVER;
  }
});

export const gammaMarketSchema = z.object({
  slug: z.string(),
  conditionId: z.string(),
  outcomes: jsonStringArray,
  clobTokenIds: jsonStringArray,
  outcomePrices: jsonStringArray.optional(),
  eventStartTime: z.string().optional(),
  endDate: z.string(),
  orderPriceMinTickSize: decimal,
  orderMinSize: decimal,
  acceptingOrders: z.boolean().optional(),
  closed: z.boolean().optional(),
});

export type GammaMarket = z.infer<typeof gammaMarketSchema>;

export const gammaEventSchema = z.object({ slug: z.string(), markets: z.array(z.unknown()) });

/** "UP" / "DOWN" once a closed market's prices settled at 1/0; undefined before. */
export function gammaWinner(m: GammaMarket): "UP" | "DOWN" | undefined {
  if (!m.closed || !m.outcomePrices || m.outcomePrices.length !== 2) return undefined;
  const up = m.outcomes.findIndex((o) => o.toLowerCase() === "up");
  if (up < 0) return undefined;
  const prices = m.outcomePrices.map((p) => parseMicros(p));
  if (prices[up] === 1_000_000) return "UP";
  if (prices[1 - up] === 1_000_000) return "DOWN";
  return undefined;
}
