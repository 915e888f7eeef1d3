/**
 * Market discovery and resolution through Gamma, and fee parameters from CLOB market info.
 * Created by a factory that receives its dependencies.
 */
import { ApplicationFailure } from "@temporalio/activity";
import type { Exchange } from "../src/polymarket/exchange";
import { windowSlug } from "../src/polymarket/slugs";
import { type GammaMarket, gammaMarketSchema, gammaWinner } from "../src/protocol/gamma";
import type { MarketRef, Winner } from "../src/session/market";

export interface MarketDataDeps {
  gammaUrl: string;
  exchange: () => Promise<Pick<Exchange, "feeParams" | "marketWinner">>;
  fetch?: typeof fetch;
}

export function createMarketDataActivities(deps: MarketDataDeps) {
  const http = deps.fetch ?? fetch;

  async function gammaMarket(slug: string): Promise<GammaMarket | undefined> {
    const res = await http(`${deps.gammaUrl}/markets?slug=${encodeURIComponent(slug)}`);
    if (!res.ok) throw new Error(`Gamma answered ${res.status} for ${slug}`);
    const body = (await res.json()) as unknown[];
    if (!Array.isArray(body) || body.length === 0) return undefined;
    const parsed = gammaMarketSchema.safeParse(body[0]);
    if (!parsed.success) {
      throw ApplicationFailure.nonRetryable(
        `Gamma market ${slug} is malformed: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
        "MalformedGammaMarket",
      );
    }
    return parsed.data;
  }

  return {
    /**
     * The windows of `asset` starting at `fromMs` (aligned) and the next `count − 1`, as far as
     * Gamma lists them already.
     */
    async discoverWindows(input: {
      asset: string;
      windowMs: number;
      fromMs: number;
      count: number;
    }): Promise<MarketRef[]> {
      const first = Math.floor(input.fromMs / input.windowMs) * input.windowMs;
      const found: MarketRef[] = [];
      const exchange = await deps.exchange();
      for (let i = 0; i < input.count; i++) {
        const startMs = first + i * input.windowMs;
        const slug = windowSlug(input.asset, input.windowMs, startMs);
        const m = await gammaMarket(slug);
        if (!m) continue;
        const up = m.outcomes.findIndex((o) => o.toLowerCase() === "up");
        const down = m.outcomes.findIndex((o) => o.toLowerCase() === "down");
        if (up < 0 || down < 0 || !m.clobTokenIds[up] || !m.clobTokenIds[down]) {
          throw ApplicationFailure.nonRetryable(
            `Gamma market ${slug} has no Up/Down tokens`,
            "MalformedGammaMarket",
          );
        }
        const fees = await exchange.feeParams(m.conditionId);
        found.push({
          slug: m.slug,
          asset: input.asset.toUpperCase(),
          conditionId: m.conditionId,
          upTokenId: m.clobTokenIds[up] as string,
          downTokenId: m.clobTokenIds[down] as string,
          startMs: m.eventStartTime ? Date.parse(m.eventStartTime) : startMs,
          endMs: Date.parse(m.endDate),
          tickSize: m.orderPriceMinTickSize,
          minOrderSize: m.orderMinSize,
          feeRate: fees.rate,
          feeExponent: fees.exponent,
        });
      }
      return found;
    },

    /** The winner once Gamma shows the market closed and settled; undefined before. */
    /**
     * The winner once the market is settled; undefined before. Gamma first; when Gamma does not list the
     * market (any more) or has no winner yet, or does not answer, the CLOB's own market record (by
     * `conditionId`, when given) — so a market that disappeared from Gamma still resolves. Throws (to be
     * retried) only when neither source answered.
     */
    async marketResolution(input: { slug: string; conditionId?: string }): Promise<Winner | undefined> {
      let gammaError: unknown;
      try {
        const m = await gammaMarket(input.slug);
        const winner = m ? gammaWinner(m) : undefined;
        if (winner) return winner;
      } catch (err) {
        if (!input.conditionId) throw err;
        gammaError = err;
      }
      if (!input.conditionId) return undefined;
      try {
        return await (await deps.exchange()).marketWinner(input.conditionId);
      } catch (err) {
        if (gammaError === undefined) return undefined;
        throw new Error(
          `no resolution source answered for ${input.slug}: Gamma: ${String(gammaError)}; CLOB: ${String(err)}`,
        );
      }
    },
  };
}

export type MarketDataActivities = ReturnType<typeof createMarketDataActivities>;
