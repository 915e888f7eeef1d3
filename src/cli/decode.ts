/**
 * `ballast decode`: replays captured channel frames, one JSON frame per line, through the protocol decoder
 * and the order books. Prints one normalized event per line as JSON, with prices and sizes as decimal strings.
 * Book-changing events also carry the token's `bestBid`/`bestAsk` after applying them (null for an empty side
 * or an out-of-sync book, see `synced`); a price_change that touches several tokens is printed once per token
 * so that each line names one token's best prices. Every line that does not fully decode is reported on
 * stderr with its line number and reason. Heartbeat lines (PING/PONG) print nothing.
 */
import { createInterface } from "node:readline";
import { BookRegistry, type TopOfBook } from "../book/orderbook";
import { formatMicros } from "../money";
import {
  decodeFrame,
  type MalformedEvent,
  NO_EVENT_TYPE,
  type ProtocolEvent,
  type UnknownEvent,
} from "../protocol/frames";
import type { LevelChange } from "../protocol/market";

/** Normalized-event keys whose numbers are micros, printed as decimal strings (timestamps and bps are not). */
const MICROS_KEYS = new Set([
  "price",
  "size",
  "bestBid",
  "bestAsk",
  "spread",
  "tickSize",
  "oldTickSize",
  "newTickSize",
  "originalSize",
  "sizeMatched",
  "matchedAmount",
]);

function microsAsDecimal(key: string, value: unknown): unknown {
  return typeof value === "number" && MICROS_KEYS.has(key) ? formatMicros(value) : value;
}

/** Splits a price_change into one event per token it touches; other events pass through. */
function perToken(event: ProtocolEvent): ProtocolEvent[] {
  if (event.type !== "price_change" || event.changes.length === 0) return [event];
  const byToken = new Map<string, LevelChange[]>();
  for (const change of event.changes) {
    const changes = byToken.get(change.assetId);
    if (changes) changes.push(change);
    else byToken.set(change.assetId, [change]);
  }
  return [...byToken.values()].map((changes) => ({ ...event, changes }));
}

/**
 * Control characters (C0, DEL, C1) written as \u escapes: captured frames are untrusted, and a raw ESC
 * would drive the reader's terminal. Valid in JSON strings, and plain text stays readable.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function eventLine(event: ProtocolEvent, top: TopOfBook | undefined): string {
  const shown = top
    ? { ...event, bestBid: top.bestBid ?? null, bestAsk: top.bestAsk ?? null, synced: top.synced }
    : event;
  return printable(JSON.stringify(shown, microsAsDecimal));
}

function arrayItem(index: number | undefined): string {
  return index === undefined ? "" : ` (array item ${index})`;
}

function describeUnknown(event: UnknownEvent): string {
  const what =
    event.eventType === NO_EVENT_TYPE
      ? "event without event_type matches no known shape"
      : `unknown event type ${JSON.stringify(event.eventType)}`;
  return `${what}${arrayItem(event.index)}`;
}

function describeMalformed(event: MalformedEvent): string {
  const what = event.eventType === NO_EVENT_TYPE ? "malformed" : `malformed ${event.eventType} event`;
  return `${what}${arrayItem(event.index)}: ${event.reason}`;
}

/**
 * Decodes `input` line by line (blank lines skipped). Returns the number of non-blank lines and of bad lines
 * (any unparseable JSON, malformed event or unknown event type on it); the caller exits 0 only when bad is 0.
 */
export async function runDecode(
  input: NodeJS.ReadableStream,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<{ lines: number; bad: number }> {
  const books = new BookRegistry();
  let lineNumber = 0;
  let lines = 0;
  let bad = 0;
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNumber++;
    if (line.trim() === "") continue;
    lines++;
    const result = decodeFrame(line);
    for (const event of result.events.flatMap(perToken)) {
      const [top] = books.apply(event);
      out(eventLine(event, top));
    }
    const problems = [...result.unknown.map(describeUnknown), ...result.malformed.map(describeMalformed)];
    for (const problem of problems) err(`line ${lineNumber}: ${printable(problem)}`);
    if (problems.length > 0) bad++;
  }
  return { lines, bad };
}
