import { ApiError } from "@polymarket/clob-client-v2";
import { toApplicationFailure } from "../../activities/exchange/failures";
import {
  BelowMinimumSize,
  classifyClientError,
  classifyOrderEntry,
  classifyVenueError,
  InsufficientBalance,
  isDuplicateOrderMessage,
  isNonRetryable,
  NON_RETRYABLE_VENUE_ERROR_KINDS,
  OffTick,
  PostOnlyWouldCross,
  parseRetryAfterMs,
  RateLimited,
  Rejected,
  Unauthorized,
  UnknownOutcome,
  VenueUnavailable,
} from "../../src/polymarket/errors";

const NOW = Date.parse("2026-05-01T12:00:00Z");

describe("classifyVenueError", () => {
  it.each([
    ["invalid post-only order: order crosses book", PostOnlyWouldCross],
    ["not enough balance / allowance", InsufficientBalance],
    ["Size (2) lower than the minimum: 5", BelowMinimumSize],
    ["invalid amount for a marketable BUY order ($0.9982), min size: $1", BelowMinimumSize],
    ["order 0xabc price (0.555) breaks minimum tick size rule: 0.01", OffTick],
    ["Too many orders in payload", Rejected],
    ["order_version_mismatch", Rejected],
    ["Invalid order payload", Rejected],
  ])("reads a 400 saying %j", (error, expected) => {
    expect(classifyVenueError({ status: 400, body: { error } })).toBeInstanceOf(expected);
  });

  it("extracts the numbers the venue gives", () => {
    const small = classifyVenueError({ status: 400, body: { error: "Size (2) lower than the minimum: 5" } });
    expect(small).toBeInstanceOf(BelowMinimumSize);
    expect((small as BelowMinimumSize).minimumSize).toBe(5_000_000);
    const tick = classifyVenueError({
      status: 400,
      body: { error: "price (0.555) breaks minimum tick size rule: 0.01" },
    });
    expect((tick as OffTick).tickSize).toBe(10_000);
  });

  it("maps statuses", () => {
    expect(
      classifyVenueError({ status: 401, body: { error: "Unauthorized/Invalid api key" } }),
    ).toBeInstanceOf(Unauthorized);
    expect(classifyVenueError({ status: 425, body: "Too Early" })).toBeInstanceOf(VenueUnavailable);
    const paused = classifyVenueError({
      status: 503,
      body: { error: "Trading is currently disabled. Check polymarket.com for updates" },
    });
    expect(paused).toBeInstanceOf(VenueUnavailable);
    expect(paused.venueMessage).toContain("Trading is currently disabled");
    expect(classifyVenueError({ status: 500, body: { error: "internal" } })).toBeInstanceOf(UnknownOutcome);
    expect(classifyVenueError({ status: 502, body: "<html>bad gateway</html>" })).toBeInstanceOf(
      UnknownOutcome,
    );
    expect(classifyVenueError({ status: 404, body: { error: "not found" } })).toBeInstanceOf(Rejected);
  });

  it("reads Retry-After as seconds or as a date", () => {
    const limited = classifyVenueError({
      status: 429,
      body: "Too Many Requests",
      headers: { "Retry-After": "7" },
    });
    expect(limited).toBeInstanceOf(RateLimited);
    expect((limited as RateLimited).retryAfterMs).toBe(7_000);
    const dated = classifyVenueError(
      { status: 503, headers: { "retry-after": new Date(NOW + 30_000).toUTCString() } },
      { now: NOW },
    );
    expect((dated as VenueUnavailable).retryAfterMs).toBe(30_000);
    expect(parseRetryAfterMs("soon", NOW)).toBeUndefined();
    expect(parseRetryAfterMs(new Date(NOW - 5_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfterMs("1.5")).toBe(1_500);
  });

  it("separates requests that never left from those whose fate is unknown", () => {
    expect(classifyVenueError({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" })).toBeInstanceOf(
      VenueUnavailable,
    );
    expect(classifyVenueError({ code: "ECONNRESET", message: "socket hang up" })).toBeInstanceOf(
      UnknownOutcome,
    );
    expect(classifyVenueError({ code: "ECONNABORTED", message: "timeout of 10ms exceeded" })).toBeInstanceOf(
      UnknownOutcome,
    );
    expect(classifyVenueError({})).toBeInstanceOf(UnknownOutcome);
  });

  it("bounds what it keeps of a body", () => {
    const error = classifyVenueError({ status: 400, body: "x".repeat(10_000) });
    expect(error.venueMessage.length).toBeLessThanOrEqual(501);
  });
});

describe("classifyClientError", () => {
  it("reads the client's ApiError and the headers it dropped", () => {
    const thrown = new ApiError("Too Many Requests", 429, { error: "Too Many Requests", status: 429 });
    const error = classifyClientError(thrown, { status: 429, headers: { "retry-after": "3" } });
    expect(error).toBeInstanceOf(RateLimited);
    expect((error as RateLimited).retryAfterMs).toBe(3_000);
  });

  it("reads an ApiError wrapping a non-`error` body", () => {
    const data = { error: { success: false, errorMsg: "not enough balance / allowance" }, status: 400 };
    const thrown = new ApiError(JSON.stringify(data.error), 400, data);
    expect(classifyClientError(thrown, { status: 400 })).toBeInstanceOf(InsufficientBalance);
  });

  it("reads the returned `{ error, status }` shape", () => {
    expect(
      classifyClientError({ error: "invalid post-only order: order crosses book", status: 400 }, undefined),
    ).toBeInstanceOf(PostOnlyWouldCross);
    expect(classifyClientError({ error: "socket hang up" }, { code: "ECONNRESET" })).toBeInstanceOf(
      UnknownOutcome,
    );
  });

  it("treats an error before any request as a refusal and after one as unknown", () => {
    const refused = classifyClientError(new Error("postOnly is not supported for FOK/FAK orders"), undefined);
    expect(refused).toBeInstanceOf(Rejected);
    const garbled = classifyClientError(new TypeError("response.data is not iterable"), { status: 200 });
    expect(garbled).toBeInstanceOf(UnknownOutcome);
    expect(garbled.status).toBe(200);
  });

  it("passes taxonomy errors through", () => {
    const error = new OffTick("off");
    expect(classifyClientError(error, undefined)).toBe(error);
  });
});

describe("classifyOrderEntry", () => {
  it("accepts successes and classifies failures", () => {
    expect(
      classifyOrderEntry({ success: true, errorMsg: "", orderID: "0x1", status: "live" }),
    ).toBeUndefined();
    const failure = classifyOrderEntry(
      { success: false, errorMsg: "invalid post-only order: order crosses book", orderID: "", status: "" },
      { batch: true },
    );
    expect(failure).toBeInstanceOf(PostOnlyWouldCross);
    expect(failure?.batch).toBe(true);
    expect(classifyOrderEntry({ success: false, errorMsg: "" })).toBeInstanceOf(Rejected);
    expect(classifyOrderEntry({ errorMsg: "INVALID_ORDER_MIN_TICK_SIZE" })).toBeInstanceOf(OffTick);
  });

  it("recognizes the duplicate rejection", () => {
    expect(isDuplicateOrderMessage("order is invalid. Duplicated.")).toBe(true);
    expect(isDuplicateOrderMessage("INVALID_ORDER_DUPLICATED")).toBe(true);
    expect(isDuplicateOrderMessage("not enough balance / allowance")).toBe(false);
  });
});

describe("retryability", () => {
  it("retries only transient failures, and never a batch", () => {
    expect(new RateLimited("slow down").retryable).toBe(true);
    expect(new VenueUnavailable("paused").retryable).toBe(true);
    expect(new UnknownOutcome("timeout").retryable).toBe(true);
    expect(new UnknownOutcome("timeout", { batch: true }).retryable).toBe(false);
    expect(new RateLimited("slow down", { batch: true }).retryable).toBe(false);
    for (const error of [
      new PostOnlyWouldCross("x"),
      new InsufficientBalance("x"),
      new BelowMinimumSize("x"),
      new OffTick("x"),
      new Rejected("x"),
      new Unauthorized("x"),
    ]) {
      expect(isNonRetryable(error)).toBe(true);
      expect(NON_RETRYABLE_VENUE_ERROR_KINDS).toContain(error.kind);
    }
  });

  it("becomes a typed ApplicationFailure honouring Retry-After", () => {
    const failure = toApplicationFailure(
      new RateLimited("Too Many Requests", { status: 429, retryAfterMs: 2_000 }),
    );
    expect(failure.type).toBe("RateLimited");
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(2_000);
    expect(failure.details?.[0]).toMatchObject({ kind: "RateLimited", status: 429, retryAfterMs: 2_000 });
    const batch = toApplicationFailure(new UnknownOutcome("timeout", { batch: true }));
    expect(batch.nonRetryable).toBe(true);
    expect(toApplicationFailure(new OffTick("off")).nonRetryable).toBe(true);
  });

  it("names errors by kind", () => {
    const error = new PostOnlyWouldCross("invalid post-only order: order crosses book", { status: 400 });
    expect(error.name).toBe("PostOnlyWouldCross");
    expect(error.kind).toBe("PostOnlyWouldCross");
    expect(error.message).toBe("invalid post-only order: order crosses book (HTTP 400)");
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      kind: "PostOnlyWouldCross",
      venueMessage: "invalid post-only order: order crosses book",
      status: 400,
      retryable: false,
      batch: false,
    });
  });
});
