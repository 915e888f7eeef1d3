/**
 * Faults the simulator can inject, set by flags at start and changed at run time through
 * `POST /admin/faults`. Draws come from their own seeded generator, so turning faults on never
 * changes the market's own random stream.
 */
import { z } from "zod";
import { Rng } from "../model/rng";

export const FaultSchema = z
  .object({
    /** Added to every CLOB request before it is handled (ms). */
    latencyMs: z.number().int().min(0).max(60_000).default(0),
    /** Share of CLOB requests answered with an injected error instead of being handled (0–1). */
    httpErrorRate: z.number().min(0).max(1).default(0),
    /** Which statuses the injected errors use (drawn uniformly). */
    httpErrorStatuses: z
      .array(z.union([z.literal(500), z.literal(425), z.literal(429), z.literal(503)]))
      .min(1)
      .default([503]),
    /** Retry-After (seconds) sent with an injected 429. */
    retryAfterSec: z.number().int().min(0).max(3600).default(1),
    /** Close every WebSocket connection this often (ms); 0 = never. */
    dropWsEveryMs: z.number().int().min(0).default(0),
    /** Market channel goes silent (connections stay open, PING still answered). */
    stallFeed: z.boolean().default(false),
    /** Share of outgoing WebSocket frames sent twice. */
    duplicateFrameRate: z.number().min(0).max(1).default(0),
    /** Share of outgoing WebSocket frames held back and sent after the next one. */
    reorderFrameRate: z.number().min(0).max(1).default(0),
  })
  .strict();

export type Faults = z.infer<typeof FaultSchema>;
export type FaultsInput = z.input<typeof FaultSchema>;

const INJECTED_MESSAGES: Record<number, string> = {
  500: "Internal server error (injected fault)",
  425: "Too Early: the matching engine is restarting (injected fault)",
  429: "Too Many Requests (injected fault)",
  503: "Trading is currently disabled. Check polymarket.com for updates (injected fault)",
};

export class FaultInjector {
  #faults: Faults;
  readonly #rng: Rng;

  constructor(seed: number, initial: FaultsInput = {}) {
    this.#faults = FaultSchema.parse(initial);
    this.#rng = Rng.fromSeed(seed).fork("faults");
  }

  get current(): Faults {
    return this.#faults;
  }

  /** Merges a partial update; throws a ZodError naming bad fields. */
  update(patch: unknown): Faults {
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
      throw new TypeError("faults must be a JSON object");
    }
    // Validate the patch alone (so errors name its fields), then apply only the keys it sets.
    const parsed = FaultSchema.partial().parse(patch);
    const given = Object.fromEntries(Object.entries(parsed).filter(([k]) => k in patch));
    this.#faults = FaultSchema.parse({ ...this.#faults, ...given });
    return this.#faults;
  }

  reset(): Faults {
    this.#faults = FaultSchema.parse({});
    return this.#faults;
  }

  /** An injected HTTP error for this request, if the dice say so. */
  httpError(): { status: number; message: string; retryAfterSec?: number } | undefined {
    const f = this.#faults;
    if (f.httpErrorRate <= 0 || !this.#rng.chance(f.httpErrorRate)) return undefined;
    const status = this.#rng.pick(f.httpErrorStatuses);
    return {
      status,
      message: INJECTED_MESSAGES[status] ?? "injected fault",
      ...(status === 429 ? { retryAfterSec: f.retryAfterSec } : {}),
    };
  }

  duplicateFrame(): boolean {
    return this.#faults.duplicateFrameRate > 0 && this.#rng.chance(this.#faults.duplicateFrameRate);
  }

  reorderFrame(): boolean {
    return this.#faults.reorderFrameRate > 0 && this.#rng.chance(this.#faults.reorderFrameRate);
  }
}
