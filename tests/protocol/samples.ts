/**
 * The real Polymarket payloads in the shared samples folder (see SOURCES.md there), which sits next to the
 * repository root.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { EventType } from "../../src/protocol/frames";

export const SAMPLES_DIR = path.resolve(__dirname, "../../../shared/samples/polymarket");

export function readSample(file: string): string {
  return readFileSync(path.join(SAMPLES_DIR, file), "utf8");
}

export function sampleJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readSample(file)) as T;
}

/** A sample as a single-line frame, the way it arrived on the socket. */
export function sampleLine(file: string): string {
  return JSON.stringify(sampleJson(file));
}

/** The websocket channel samples, and the event type each must decode to. */
export const WS_SAMPLE_TYPES: Readonly<Record<string, EventType>> = {
  "nautilus_ws_best_bid_ask.json": "best_bid_ask",
  "nautilus_ws_book_fixture.json": "book",
  "nautilus_ws_last_trade_price.json": "last_trade_price",
  "nautilus_ws_market_resolved.json": "market_resolved",
  "nautilus_ws_new_market.json": "new_market",
  "nautilus_ws_price_change_two_assets_fixture.json": "price_change",
  "nautilus_ws_price_change_v1_changes_array_legacy.json": "price_change",
  "nautilus_ws_price_change_v2_price_changes.json": "price_change",
  "nautilus_ws_tick_size_change_fixture.json": "tick_size_change",
  "nautilus_ws_user_order_cancel.json": "order",
  "nautilus_ws_user_order_fok_killed.json": "order",
  "nautilus_ws_user_order_matched_fixture.json": "order",
  "nautilus_ws_user_order_placement_fixture.json": "order",
  "nautilus_ws_user_order_update_fixture.json": "order",
  "nautilus_ws_user_order_venue_cancel_invalid.json": "order",
  "nautilus_ws_user_trade2_matched_taker.json": "trade",
};

export function wsSampleFiles(): string[] {
  return readdirSync(SAMPLES_DIR)
    .filter((file) => file.startsWith("nautilus_ws_"))
    .sort();
}

/** A real REST `GET /book` response: same shape as a ws `book` minus `event_type`, levels worst-first. */
export const REST_BOOK_SAMPLE = "nautilus_rest_book.json";

export const ASYNCAPI_DOCS = [
  "polymarket_docs_asyncapi_market_channel.json",
  "polymarket_docs_asyncapi_user_channel.json",
] as const;

interface AsyncApiMessage {
  contentType: string;
  payload: unknown;
  examples?: { name: string; payload: unknown }[];
}

interface AsyncApiDoc {
  components: { messages: Record<string, AsyncApiMessage> };
}

export interface AsyncApiExample {
  message: string;
  name: string;
  payload: unknown;
}

/** Every example payload of every message in an AsyncAPI doc (client requests included). */
export function asyncApiExamples(doc: string): AsyncApiExample[] {
  const { messages } = sampleJson<AsyncApiDoc>(doc).components;
  return Object.entries(messages).flatMap(([message, spec]) =>
    (spec.examples ?? []).map((example) => ({ message, name: example.name, payload: example.payload })),
  );
}

/** Examples of events the server sends (they carry `event_type`), as opposed to client requests. */
export function asyncApiEventExamples(doc: string): (AsyncApiExample & { eventType: string })[] {
  return asyncApiExamples(doc).flatMap((example) => {
    const eventType = (example.payload as { event_type?: unknown }).event_type;
    return typeof eventType === "string" ? [{ ...example, eventType }] : [];
  });
}

/** The text heartbeats a doc declares (`"const": "PING"` / `"PONG"` payloads). */
export function asyncApiHeartbeats(doc: string): string[] {
  const { messages } = sampleJson<AsyncApiDoc>(doc).components;
  return Object.values(messages).flatMap((spec) => {
    const constant = (spec.payload as { const?: unknown }).const;
    return spec.contentType === "text/plain" && typeof constant === "string" ? [constant] : [];
  });
}
