/**
 * Websocket frames from either CLOB channel, decoded into normalized events.
 *
 * A frame is a text heartbeat ("PING"/"PONG"), one JSON event, or a JSON array of events (initial dumps and
 * batched updates; possibly `[]`). decodeFrame never throws: each event in a frame is decoded on its own, and
 * one that cannot be decoded is reported (unknown type, or malformed with the offending field) and skipped,
 * so the rest of the frame still gets through.
 */
import type { z } from "zod";
import {
  bestBidAskSchema,
  bookSchema,
  lastTradePriceSchema,
  legacyPriceChangeSchema,
  type MarketEvent,
  marketResolvedSchema,
  newMarketSchema,
  priceChangeSchema,
  tickSizeChangeSchema,
} from "./market";
import { orderSchema, tradeSchema, type UserEvent } from "./user";

export type ProtocolEvent = MarketEvent | UserEvent;
export type EventType = ProtocolEvent["type"];
export type ControlFrame = "PING" | "PONG";

/** Reported as the event type of a message that has no `event_type` and no recognizable shape. */
export const NO_EVENT_TYPE = "(none)";

/** An event whose type we do not handle; skipped. `index` is its position in an array frame. */
export interface UnknownEvent {
  eventType: string;
  index: number | undefined;
}

/** An event that failed validation, or a frame that is not JSON at all (then `index` is undefined). */
export interface MalformedEvent {
  eventType: string;
  index: number | undefined;
  /** Names the field, e.g. `bids[0].price: not a decimal number: "x"`. */
  reason: string;
}

export interface DecodeResult {
  control: ControlFrame | undefined;
  events: ProtocolEvent[];
  unknown: UnknownEvent[];
  malformed: MalformedEvent[];
}

type JsonObject = Record<string, unknown>;
type EventSchema = z.ZodType<ProtocolEvent>;

const SCHEMAS: Record<EventType, EventSchema> = {
  book: bookSchema,
  price_change: priceChangeSchema,
  best_bid_ask: bestBidAskSchema,
  last_trade_price: lastTradePriceSchema,
  tick_size_change: tickSizeChangeSchema,
  new_market: newMarketSchema,
  market_resolved: marketResolvedSchema,
  order: orderSchema,
  trade: tradeSchema,
};

/**
 * Fields that only one event type carries, to classify messages that arrive without `event_type` (real
 * price_change frames with only market/price_changes/timestamp, user order updates). last_trade_price has no
 * such field and is never inferred.
 */
const SIGNATURE_FIELDS: ReadonlyArray<readonly [field: string, type: EventType]> = [
  ["bids", "book"],
  ["price_changes", "price_change"],
  ["changes", "price_change"],
  ["spread", "best_bid_ask"],
  ["new_tick_size", "tick_size_change"],
  ["question", "new_market"],
  ["winning_asset_id", "market_resolved"],
  ["original_size", "order"],
  ["taker_order_id", "trade"],
];

function isEventType(type: string): type is EventType {
  return Object.hasOwn(SCHEMAS, type);
}

/** The one event type whose signature fields the message has, or undefined when none or several match. */
function inferEventType(message: JsonObject): EventType | undefined {
  const candidates = new Set(
    SIGNATURE_FIELDS.filter(([field]) => Object.hasOwn(message, field)).map(([, type]) => type),
  );
  return candidates.size === 1 ? candidates.values().next().value : undefined;
}

function schemaFor(type: EventType, message: JsonObject): EventSchema {
  return type === "price_change" && Object.hasOwn(message, "changes")
    ? legacyPriceChangeSchema
    : SCHEMAS[type];
}

const MAX_REPORTED_ISSUES = 3;

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join("");
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  let problem: string;
  if (issue.code === "invalid_type" && issue.input === undefined) problem = "missing";
  else if (issue.code === "custom") problem = issue.message;
  else problem = `${issue.message} (got ${preview(issue.input)})`;
  const field = formatPath(issue.path);
  return field ? `${field}: ${problem}` : problem;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const described = issues.slice(0, MAX_REPORTED_ISSUES).map(describeIssue);
  if (issues.length > MAX_REPORTED_ISSUES) described.push(`and ${issues.length - MAX_REPORTED_ISSUES} more`);
  return described.join("; ");
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function decodeEvent(message: unknown, index: number | undefined, into: DecodeResult): void {
  if (!isJsonObject(message)) {
    into.malformed.push({ eventType: NO_EVENT_TYPE, index, reason: "event is not a JSON object" });
    return;
  }
  const declared = message.event_type;
  if (declared !== undefined && typeof declared !== "string") {
    into.malformed.push({
      eventType: NO_EVENT_TYPE,
      index,
      reason: `event_type: not a string (got ${preview(declared)})`,
    });
    return;
  }
  const eventType = declared ?? inferEventType(message) ?? NO_EVENT_TYPE;
  if (!isEventType(eventType)) {
    into.unknown.push({ eventType, index });
    return;
  }
  const parsed = schemaFor(eventType, message).safeParse(message, { reportInput: true });
  if (parsed.success) into.events.push(parsed.data);
  else into.malformed.push({ eventType, index, reason: describeIssues(parsed.error.issues) });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Decodes one websocket text frame; never throws (see the module comment). */
export function decodeFrame(text: string): DecodeResult {
  const result: DecodeResult = { control: undefined, events: [], unknown: [], malformed: [] };
  const trimmed = text.trim();
  if (trimmed === "PING" || trimmed === "PONG") {
    result.control = trimmed;
    return result;
  }
  const json = parseJson(trimmed);
  if (!json.ok) {
    result.malformed.push({
      eventType: NO_EVENT_TYPE,
      index: undefined,
      reason: `invalid JSON: ${json.error}`,
    });
  } else if (Array.isArray(json.value)) {
    for (const [index, message] of json.value.entries()) decodeEvent(message, index, result);
  } else {
    decodeEvent(json.value, undefined, result);
  }
  return result;
}

export interface FrameStatsSnapshot {
  frames: number;
  controlFrames: number;
  decoded: Record<string, number>;
  unknown: Record<string, number>;
  malformed: Record<string, number>;
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * Running counts for a long-lived connection: events decoded, unknown and malformed, per event type (frames
 * that are not JSON, and events without a recognizable type, count under NO_EVENT_TYPE).
 */
export class FrameStats {
  private frames = 0;
  private controlFrames = 0;
  private readonly decoded = new Map<string, number>();
  private readonly unknown = new Map<string, number>();
  private readonly malformed = new Map<string, number>();

  record(result: DecodeResult): void {
    this.frames++;
    if (result.control) this.controlFrames++;
    for (const event of result.events) increment(this.decoded, event.type);
    for (const event of result.unknown) increment(this.unknown, event.eventType);
    for (const event of result.malformed) increment(this.malformed, event.eventType);
  }

  snapshot(): FrameStatsSnapshot {
    return {
      frames: this.frames,
      controlFrames: this.controlFrames,
      decoded: Object.fromEntries(this.decoded),
      unknown: Object.fromEntries(this.unknown),
      malformed: Object.fromEntries(this.malformed),
    };
  }
}
