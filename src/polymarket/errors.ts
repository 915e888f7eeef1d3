/**
 * The venue's failures, as a small closed taxonomy with a `kind` discriminator.
 *
 * How @polymarket/clob-client-v2 (1.1.0) surfaces failures, which is what is classified here:
 *  - dist/http-helpers/index.cjs never lets an HTTP error escape: `errorHandling` turns an axios
 *    error into a returned object, `{ ...body, status }` when the JSON body has an `error` field,
 *    `{ error: body, status }` for any other body (text, or an object without `error`), and
 *    `{ error: err.message }` with NO status when no response arrived (timeout, reset, refused).
 *    Response headers are dropped on every path, so Retry-After never reaches the caller; the
 *    adapter reads them with an axios interceptor instead (transport.ts).
 *  - dist/client.cjs `throwIfError`: with `throwOnError: true`, any such object becomes a thrown
 *    `ApiError(message, status, data)` (dist/errors.cjs) where message is the `error` field (or its
 *    JSON) and `data` the whole object. Without it the object is returned as if it were the
 *    response, and paginated reads crash with a TypeError on `response.data`.
 *  - A few plain `Error`s are thrown before any request is sent (e.g. "postOnly is not supported
 *    for FOK/FAK orders", missing credentials).
 *  - POST /orders answers 200 with one entry per order, `{ success, errorMsg, orderID, status, … }`;
 *    a failed order is `success: false` with the reason in `errorMsg`.
 *
 * Retries: only RateLimited, VenueUnavailable and UnknownOutcome are retryable, and never when the
 * failure belongs to a batch placement (batches are not idempotent as a unit and must never be
 * retried automatically). UnknownOutcome is retryable for a single order only because a retry
 * re-posts the same signed order (same hash), which the venue accepts once. No Temporal here: the
 * activities turn these errors into failures (activities/exchange/failures.ts).
 */
import { type Micros, parseMicros } from "../money";

export type VenueErrorKind =
  | "PostOnlyWouldCross"
  | "InsufficientBalance"
  | "BelowMinimumSize"
  | "OffTick"
  | "RateLimited"
  | "VenueUnavailable"
  | "UnknownOutcome"
  | "Rejected"
  | "Unauthorized";

/** Kinds that are never worth retrying as is (for a RetryPolicy's nonRetryableErrorTypes). */
export const NON_RETRYABLE_VENUE_ERROR_KINDS: readonly VenueErrorKind[] = [
  "PostOnlyWouldCross",
  "InsufficientBalance",
  "BelowMinimumSize",
  "OffTick",
  "Rejected",
  "Unauthorized",
];

const RETRYABLE_KINDS: ReadonlySet<VenueErrorKind> = new Set([
  "RateLimited",
  "VenueUnavailable",
  "UnknownOutcome",
]);

/** Venue texts are kept, but bounded: an HTML error page must not become a 100 kB message. */
const MAX_VENUE_MESSAGE = 500;

export interface VenueErrorInit {
  /** HTTP status, when the venue answered. */
  status?: number;
  /** The failure belongs to a batch placement, which is never retried automatically. */
  batch?: boolean;
}

/** Plain, serializable description of a venue error (Temporal failure details, logs). */
export interface VenueErrorDetails {
  kind: VenueErrorKind;
  venueMessage: string;
  status?: number;
  retryable: boolean;
  batch: boolean;
  retryAfterMs?: number;
  minimumSize?: Micros;
  tickSize?: Micros;
}

export abstract class VenueError extends Error {
  abstract readonly kind: VenueErrorKind;
  /** What the venue (or the transport) said, truncated; never contains credentials. */
  readonly venueMessage: string;
  readonly status: number | undefined;
  readonly batch: boolean;

  constructor(venueMessage: string, init: VenueErrorInit = {}) {
    const text =
      venueMessage.length > MAX_VENUE_MESSAGE ? `${venueMessage.slice(0, MAX_VENUE_MESSAGE)}…` : venueMessage;
    super(init.status === undefined ? text : `${text} (HTTP ${init.status})`);
    this.name = new.target.name;
    this.venueMessage = text;
    this.status = init.status;
    this.batch = init.batch ?? false;
  }

  /** Whether Temporal may retry the activity that failed with this error. */
  get retryable(): boolean {
    return !this.batch && RETRYABLE_KINDS.has(this.kind);
  }

  toJSON(): VenueErrorDetails {
    return {
      kind: this.kind,
      venueMessage: this.venueMessage,
      ...(this.status === undefined ? {} : { status: this.status }),
      retryable: this.retryable,
      batch: this.batch,
    };
  }
}

/** A post-only order would have matched on arrival; re-price it rather than retry. */
export class PostOnlyWouldCross extends VenueError {
  readonly kind = "PostOnlyWouldCross";
}

/** Not enough pUSD (BUY) or shares (SELL), or the exchange lacks the allowance to move them. */
export class InsufficientBalance extends VenueError {
  readonly kind = "InsufficientBalance";
}

/** Below the market's minimum order size (shares), or a marketable order below the $1 minimum. */
export class BelowMinimumSize extends VenueError {
  readonly kind = "BelowMinimumSize";
  /** The minimum in micros of shares, when the venue said it ("… lower than the minimum: 5"). */
  readonly minimumSize: Micros | undefined;

  constructor(venueMessage: string, init: VenueErrorInit & { minimumSize?: Micros } = {}) {
    super(venueMessage, init);
    this.minimumSize = init.minimumSize;
  }

  override toJSON(): VenueErrorDetails {
    return {
      ...super.toJSON(),
      ...(this.minimumSize === undefined ? {} : { minimumSize: this.minimumSize }),
    };
  }
}

/** The price is not on the market's tick (which can change near 0 and 1) or outside [tick, 1 − tick]. */
export class OffTick extends VenueError {
  readonly kind = "OffTick";
  /** The tick in micros, when the venue said it ("… breaks minimum tick size rule: 0.01"). */
  readonly tickSize: Micros | undefined;

  constructor(venueMessage: string, init: VenueErrorInit & { tickSize?: Micros } = {}) {
    super(venueMessage, init);
    this.tickSize = init.tickSize;
  }

  override toJSON(): VenueErrorDetails {
    return { ...super.toJSON(), ...(this.tickSize === undefined ? {} : { tickSize: this.tickSize }) };
  }
}

/** HTTP 429. `retryAfterMs` comes from the Retry-After header when the venue sent one. */
export class RateLimited extends VenueError {
  readonly kind = "RateLimited";
  readonly retryAfterMs: number | undefined;

  constructor(venueMessage: string, init: VenueErrorInit & { retryAfterMs?: number } = {}) {
    super(venueMessage, init);
    this.retryAfterMs = init.retryAfterMs;
  }

  override toJSON(): VenueErrorDetails {
    return {
      ...super.toJSON(),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
    };
  }
}

/**
 * The venue did not take the request: HTTP 425 (matching engine restarting), 503 (trading paused
 * or cancel-only), a market not ready, or a connection that could not even be opened. Nothing was
 * applied.
 */
export class VenueUnavailable extends VenueError {
  readonly kind = "VenueUnavailable";
  readonly retryAfterMs: number | undefined;

  constructor(venueMessage: string, init: VenueErrorInit & { retryAfterMs?: number } = {}) {
    super(venueMessage, init);
    this.retryAfterMs = init.retryAfterMs;
  }

  override toJSON(): VenueErrorDetails {
    return {
      ...super.toJSON(),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
    };
  }
}

/**
 * No usable answer: a timeout, a reset connection, a 5xx other than 503, or a response that could
 * not be read. A write may or may not have been applied; reconcile before assuming either.
 */
export class UnknownOutcome extends VenueError {
  readonly kind = "UnknownOutcome";
}

/** Any other 4xx, with the venue's reason. Retrying the same request would fail the same way. */
export class Rejected extends VenueError {
  readonly kind = "Rejected";
}

/** HTTP 401: bad API key, passphrase or signature (or a clock too far from the venue's). */
export class Unauthorized extends VenueError {
  readonly kind = "Unauthorized";
}

export type ClassifiedVenueError =
  | PostOnlyWouldCross
  | InsufficientBalance
  | BelowMinimumSize
  | OffTick
  | RateLimited
  | VenueUnavailable
  | UnknownOutcome
  | Rejected
  | Unauthorized;

/** One HTTP failure as seen on the wire. */
export interface VenueReply {
  /** HTTP status; absent when no response arrived. */
  status?: number;
  /** The response body as parsed (JSON value or text). */
  body?: unknown;
  /** Error text to use when the body says nothing (e.g. the transport's message). */
  message?: string;
  /** Response headers; names in any case. */
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Transport error code when no response arrived (ECONNRESET, ECONNABORTED, ECONNREFUSED, …). */
  code?: string;
}

export interface ClassifyOptions {
  /** Clock for an HTTP-date Retry-After. */
  now?: number;
  batch?: boolean;
}

/** Transport failures where the request provably never reached the venue. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH"]);

function headerValue(headers: VenueReply["headers"], name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return typeof value === "string" ? value : value?.[0];
  }
  return undefined;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP-date (relative to `now`). */
export function parseRetryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The human-readable reason in a venue body: `{error}`, `{errorMsg}`, `{message}` or plain text. */
export function venueMessageOf(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim() || undefined;
  if (body === null || typeof body !== "object") return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ["error", "errorMsg", "error_msg", "message"]) {
    const value = record[key];
    if (typeof value === "string" && value.trim() !== "") return value.trim();
    if (value !== null && typeof value === "object") {
      const nested = venueMessageOf(value);
      if (nested) return nested;
    }
  }
  return undefined;
}

function micros(text: string | undefined): Micros | undefined {
  if (text === undefined) return undefined;
  try {
    return parseMicros(text);
  } catch {
    return undefined;
  }
}

/** True for the venue's "this exact order (same hash) was already placed" rejection. */
export function isDuplicateOrderMessage(message: string): boolean {
  return /duplicat/i.test(message);
}

/**
 * Recognizes the venue's order-rejection texts (prose and the INVALID_ORDER_* codes), e.g.
 * "invalid post-only order: order crosses book", "not enough balance / allowance",
 * "Size (2) lower than the minimum: 5", "order 0x… price (0.555) breaks minimum tick size rule: 0.01".
 */
function classifyMessage(message: string, init: VenueErrorInit): ClassifiedVenueError | undefined {
  if (/post[- ]?only/i.test(message) && /cross/i.test(message)) return new PostOnlyWouldCross(message, init);
  if (/not enough balance|allowance|NOT_ENOUGH_BALANCE|insufficient balance/i.test(message)) {
    return new InsufficientBalance(message, init);
  }
  if (/tick size|INVALID_ORDER_MIN_TICK_SIZE|invalid price/i.test(message)) {
    return new OffTick(message, {
      ...init,
      tickSize: micros(/tick size rule:?\s*([0-9.]+)/i.exec(message)?.[1]),
    });
  }
  if (/lower than the minimum|INVALID_ORDER_MIN_SIZE|min(imum)? size/i.test(message)) {
    const minimumSize = micros(/lower than the minimum:?\s*([0-9.]+)/i.exec(message)?.[1]);
    return new BelowMinimumSize(message, { ...init, minimumSize });
  }
  if (/trading is currently (disabled|cancel-only)|not yet ready|MARKET_NOT_READY/i.test(message)) {
    return new VenueUnavailable(message, init);
  }
  if (/unauthori[sz]ed|invalid api key|invalid l1 request headers/i.test(message)) {
    return new Unauthorized(message, init);
  }
  if (/too many requests/i.test(message)) return new RateLimited(message, init);
  return undefined;
}

/** Classifies one HTTP failure from its status, body/message, headers and transport code. */
export function classifyVenueError(reply: VenueReply, options: ClassifyOptions = {}): ClassifiedVenueError {
  const { status, code } = reply;
  const init: VenueErrorInit = { status, batch: options.batch };
  const said = venueMessageOf(reply.body) ?? reply.message?.trim() ?? "";
  if (status === undefined) {
    const transport = [code, said].filter(Boolean).join(": ") || "no response";
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      return new VenueUnavailable(`venue unreachable, request not sent (${transport})`, init);
    }
    return new UnknownOutcome(
      `no response from the venue (${transport}); the request may or may not have been applied`,
      init,
    );
  }
  const retryAfterMs = parseRetryAfterMs(headerValue(reply.headers, "retry-after"), options.now);
  const text = said || `HTTP ${status}`;
  if (status === 401) return new Unauthorized(text, init);
  if (status === 429) return new RateLimited(text, { ...init, retryAfterMs });
  if (status === 425 || status === 503) return new VenueUnavailable(text, { ...init, retryAfterMs });
  if (status >= 500) return new UnknownOutcome(`${text}; the request may or may not have been applied`, init);
  return classifyMessage(text, init) ?? new Rejected(text, init);
}

/** What the adapter observed of the last HTTP exchange made by one client call. */
export interface TransportObservation {
  status?: number;
  headers?: Readonly<Record<string, string>>;
  code?: string;
  message?: string;
}

function isApiError(error: unknown): error is Error & { status?: number; data?: unknown } {
  return error instanceof Error && error.name === "ApiError";
}

/** The client's returned-not-thrown failure shape: `{ error, status? }`. */
function isErrorResult(value: unknown): value is { error: unknown; status?: number } {
  return value !== null && typeof value === "object" && !(value instanceof Error) && "error" in value;
}

/**
 * Classifies whatever a ClobClient call failed with: its ApiError, its `{ error, status }` result,
 * or a plain Error. `observed` is what the transport saw (undefined when no request went out), used
 * for headers and transport codes the client drops.
 */
export function classifyClientError(
  error: unknown,
  observed: TransportObservation | undefined,
  options: ClassifyOptions = {},
): ClassifiedVenueError {
  if (error instanceof VenueError) return error as ClassifiedVenueError;
  if (isApiError(error) || isErrorResult(error)) {
    const body = isApiError(error) ? error.data : error;
    const status = error.status ?? observed?.status;
    const message = isApiError(error) ? error.message : undefined;
    return classifyVenueError(
      {
        status,
        body,
        message: message ?? observed?.message,
        headers: observed?.headers,
        code: observed?.code,
      },
      options,
    );
  }
  const text = error instanceof Error ? error.message : String(error);
  if (observed === undefined) {
    return new Rejected(`refused by the client before sending: ${text}`, { batch: options.batch });
  }
  if (observed.status === undefined || observed.status >= 400) {
    return classifyVenueError({ ...observed, message: observed.message ?? text }, options);
  }
  return new UnknownOutcome(
    `unreadable venue response (${text}); the request may or may not have been applied`,
    {
      status: observed.status,
      batch: options.batch,
    },
  );
}

/** One entry of a POST /order(s) 200 response. */
export interface OrderPlacementEntry {
  success?: boolean;
  errorMsg?: string;
  orderID?: string;
  status?: string;
}

/**
 * The failure in one POST /order(s) entry, or undefined when the order was accepted. A missing or
 * false `success` is a failure whatever the HTTP status was.
 */
export function classifyOrderEntry(
  entry: OrderPlacementEntry,
  options: ClassifyOptions = {},
): ClassifiedVenueError | undefined {
  if (entry.success === true) return undefined;
  const init: VenueErrorInit = { batch: options.batch };
  const reason =
    entry.errorMsg?.trim() || `order not placed (status ${entry.status ?? "unknown"}, no reason given)`;
  return classifyMessage(reason, init) ?? new Rejected(reason, init);
}

/** The non-retryable flag for Temporal: true when retrying the same call cannot help or is unsafe. */
export function isNonRetryable(error: VenueError): boolean {
  return !error.retryable;
}
