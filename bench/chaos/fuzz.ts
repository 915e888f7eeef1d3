/**
 * Fuzzing of the frame decoder (src/protocol/frames.ts decodeFrame) and of the channel client
 * (src/polymarket/channel-client.ts) under generated frames: valid ones (the real captured samples,
 * alone or in array frames), truncated ones, events of a wrong or unknown type, elements that are not
 * objects, randomly mutated events, huge frames (thousands of events, megabyte fields, deep nesting),
 * random binary, and heartbeats.
 *
 * What must hold, for every frame:
 * - nothing throws, and the client never drops, duplicates, reorders or reconnects (one connection, every
 *   frame delivered once, in order, binary ones as their UTF-8 text; a `PONG` is the client's own);
 * - every event is accounted for exactly once: an array of n elements gives n results (decoded, unknown or
 *   malformed) at n distinct indexes; an object, one; text that is not JSON (JSON.parse, the oracle), one
 *   malformed report; a heartbeat, none;
 * - a bad event the generator knows is bad (a non-string or unknown event_type, a non-object element, a
 *   truncated frame) is reported as such, once, where it is; a sample left alone decodes;
 * - FrameStats (what the market feed counts and logs from) counts each report once.
 * Generation is seeded: the same seed gives the same frames.
 */
import type { AddressInfo } from "node:net";
import type WebSocket from "ws";
import { WebSocketServer } from "ws";
import { ChannelClient } from "../../src/polymarket/channel-client";
import { type DecodeResult, decodeFrame, FrameStats } from "../../src/protocol/frames";
import { Rng } from "../../src/venue/model/rng";
import { sampleJson, WS_SAMPLE_TYPES } from "../../tests/protocol/samples";

export type FrameKind =
  | "valid"
  | "array"
  | "truncated"
  | "wrong-type"
  | "unknown-type"
  | "not-object"
  | "mutated"
  | "huge-array"
  | "huge-field"
  | "deep"
  | "binary"
  | "control";

export interface GeneratedFrame {
  kind: FrameKind;
  /** What goes on the wire: text, or bytes sent as a binary message. */
  data: string | Buffer;
  /** Positions (array frames) of events known to be bad, and how they must be reported. */
  knownBad: { index: number | undefined; as: "malformed" | "unknown" }[];
  /** The events known to decode (samples left alone). */
  knownGood: number;
}

type Json = Record<string, unknown>;

const WRONG_TYPES: unknown[] = [0, 42, -1.5, true, false, null, {}, [], ["book"], { type: "book" }];
const NOT_OBJECTS: unknown[] = [0, 7, "book", "", null, true, [], [{}], ["PING"]];

export class FrameGenerator {
  readonly #rng: Rng;
  readonly #samples: Json[];

  constructor(seed: number) {
    this.#rng = Rng.fromSeed(seed).fork("frame-fuzz");
    this.#samples = Object.keys(WS_SAMPLE_TYPES).map((f) => sampleJson<Json>(f));
  }

  #sample(): Json {
    return structuredClone(this.#rng.pick(this.#samples));
  }

  #randomString(max: number): string {
    const n = this.#rng.int(0, max);
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.#rng.int(0, 0xffff));
    return s;
  }

  #randomValue(depth = 0): unknown {
    switch (this.#rng.int(0, depth > 2 ? 4 : 6)) {
      case 0:
        return this.#rng.int(-1_000_000, 1_000_000) / this.#rng.pick([1, 7, 1000]);
      case 1:
        return this.#randomString(12);
      case 2:
        return this.#rng.pick([null, true, false, "", "NaN", "-0", "1e309", "0x10", " 0.5 "]);
      case 3:
        return String(this.#rng.int(0, 10 ** 9) / 1000);
      case 4:
        return this.#rng.pick(["BUY", "SELL", "book", "trade", "MATCHED"]);
      case 5:
        return Array.from({ length: this.#rng.int(0, 3) }, () => this.#randomValue(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: this.#rng.int(0, 3) }, () => [
            this.#randomString(6),
            this.#randomValue(depth + 1),
          ]),
        );
    }
  }

  /** Sets, replaces or deletes one field somewhere in the event (possibly nested): outcome unknown. */
  #mutate(event: Json): Json {
    const containers: (Json | unknown[])[] = [event];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) {
        containers.push(v);
        v.forEach(walk);
      } else if (v && typeof v === "object") {
        containers.push(v as Json);
        Object.values(v).forEach(walk);
      }
    };
    Object.values(event).forEach(walk);
    const times = this.#rng.int(1, 3);
    for (let t = 0; t < times; t++) {
      const c = this.#rng.pick(containers);
      if (Array.isArray(c)) {
        if (c.length > 0) c[this.#rng.int(0, c.length - 1)] = this.#randomValue();
        continue;
      }
      const keys = Object.keys(c);
      const key = keys.length > 0 && this.#rng.chance(0.85) ? this.#rng.pick(keys) : this.#randomString(8);
      if (this.#rng.chance(0.2)) delete c[key];
      else c[key] = this.#randomValue();
    }
    return event;
  }

  /** Array frame of good samples with some elements replaced; returns the frame and what is known. */
  #arrayWith(
    count: number,
    bad: (i: number) => { value: unknown; as?: "malformed" | "unknown" } | undefined,
  ) {
    const events: unknown[] = [];
    const knownBad: GeneratedFrame["knownBad"] = [];
    let knownGood = 0;
    for (let i = 0; i < count; i++) {
      const b = bad(i);
      if (b) {
        events.push(b.value);
        if (b.as) knownBad.push({ index: i, as: b.as });
      } else {
        events.push(this.#sample());
        knownGood += 1;
      }
    }
    return { events, knownBad, knownGood };
  }

  next(): GeneratedFrame {
    const rng = this.#rng;
    const kinds: [FrameKind, number][] = [
      ["valid", 20],
      ["array", 12],
      ["truncated", 12],
      ["wrong-type", 10],
      ["unknown-type", 8],
      ["not-object", 8],
      ["mutated", 20],
      ["binary", 6],
      ["control", 3],
      ["huge-array", 0.02],
      ["huge-field", 0.02],
      ["deep", 0.02],
    ];
    const total = kinds.reduce((s, [, w]) => s + w, 0);
    let pick = rng.uniform(0, total);
    let kind: FrameKind = "valid";
    for (const [k, w] of kinds) {
      if (pick < w) {
        kind = k;
        break;
      }
      pick -= w;
    }
    const single = rng.chance(0.5);
    const wrap = (
      events: unknown[],
      knownBad: GeneratedFrame["knownBad"],
      knownGood: number,
    ): GeneratedFrame =>
      single && events.length === 1 && !Array.isArray(events[0])
        ? {
            kind,
            data: JSON.stringify(events[0]),
            knownBad: knownBad.map((b) => ({ ...b, index: undefined })),
            knownGood,
          }
        : { kind, data: JSON.stringify(events), knownBad, knownGood };
    const n = rng.int(1, 6);
    const target = rng.int(0, n - 1);
    switch (kind) {
      case "valid":
        return { kind, data: JSON.stringify(this.#sample()), knownBad: [], knownGood: 1 };
      case "array": {
        const a = this.#arrayWith(rng.int(0, 20), () => undefined);
        return { kind, data: JSON.stringify(a.events), knownBad: [], knownGood: a.knownGood };
      }
      case "truncated": {
        const whole = rng.chance(0.5)
          ? JSON.stringify(this.#sample())
          : JSON.stringify(this.#arrayWith(n, () => undefined).events);
        return {
          kind,
          data: whole.slice(0, rng.int(0, whole.length - 1)),
          knownBad: [{ index: undefined, as: "malformed" }],
          knownGood: 0,
        };
      }
      case "wrong-type": {
        const a = this.#arrayWith(n, (i) =>
          i === target
            ? { value: { ...this.#sample(), event_type: rng.pick(WRONG_TYPES) }, as: "malformed" }
            : undefined,
        );
        return wrap(a.events, a.knownBad, a.knownGood);
      }
      case "unknown-type": {
        const a = this.#arrayWith(n, (i) =>
          i === target
            ? { value: { ...this.#sample(), event_type: `x_${this.#randomString(6)}` }, as: "unknown" }
            : undefined,
        );
        return wrap(a.events, a.knownBad, a.knownGood);
      }
      case "not-object": {
        const a = this.#arrayWith(n, (i) =>
          i === target ? { value: rng.pick(NOT_OBJECTS), as: "malformed" } : undefined,
        );
        return wrap(a.events, a.knownBad, a.knownGood);
      }
      case "mutated": {
        const a = this.#arrayWith(n, (i) =>
          i === target ? { value: this.#mutate(this.#sample()) } : undefined,
        );
        return wrap(a.events, a.knownBad, a.knownGood);
      }
      case "huge-array": {
        const a = this.#arrayWith(rng.int(2_000, 5_000), (i) =>
          i % 97 === 0 ? { value: rng.pick(NOT_OBJECTS), as: "malformed" } : undefined,
        );
        return { kind, data: JSON.stringify(a.events), knownBad: a.knownBad, knownGood: a.knownGood };
      }
      case "huge-field": {
        const event = this.#sample();
        const key = rng.pick(Object.keys(event));
        event[key] = "9".repeat(rng.int(100_000, 2_000_000));
        return { kind, data: JSON.stringify(event), knownBad: [], knownGood: 0 };
      }
      case "deep": {
        const depth = rng.int(1_000, 100_000);
        return { kind, data: `${"[".repeat(depth)}${"]".repeat(depth)}`, knownBad: [], knownGood: 0 };
      }
      case "binary": {
        const bytes = Buffer.alloc(rng.int(1, 2_048));
        for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(0, 255);
        return { kind, data: bytes, knownBad: [], knownGood: 0 };
      }
      case "control":
        return {
          kind,
          data: `${" ".repeat(rng.int(0, 2))}${rng.pick(["PING", "PONG"])}${"\n".repeat(rng.int(0, 1))}`,
          knownBad: [],
          knownGood: 0,
        };
    }
  }
}

/** Sent after the generated frames: the client has delivered everything once it arrives. */
const END = "FUZZ-END";

const textOf = (data: string | Buffer) => (typeof data === "string" ? data : data.toString("utf8"));

/** What the accounting says went wrong with one decoded frame; empty when it holds. */
export function frameProblems(frame: GeneratedFrame, text: string, result: DecodeResult): string[] {
  const problems: string[] = [];
  const reports = [
    ...result.unknown.map((u) => ({ index: u.index, as: "unknown" as const })),
    ...result.malformed.map((m) => ({ index: m.index, as: "malformed" as const })),
  ];
  const results = result.events.length + reports.length;
  const trimmed = text.trim();
  let parsed: { value: unknown } | undefined;
  if (trimmed !== "PING" && trimmed !== "PONG") {
    try {
      parsed = { value: JSON.parse(trimmed) };
    } catch {
      parsed = undefined;
    }
  }
  if (trimmed === "PING" || trimmed === "PONG") {
    if (result.control !== trimmed || results !== 0) problems.push(`a heartbeat gave ${results} result(s)`);
  } else if (!parsed) {
    if (result.malformed.length !== 1 || results !== 1 || result.malformed[0]?.index !== undefined)
      problems.push(`text that is not JSON gave ${results} result(s), not one malformed report`);
  } else if (Array.isArray(parsed.value)) {
    const n = parsed.value.length;
    const indexes = reports.map((r) => r.index);
    if (results !== n) problems.push(`an array of ${n} gave ${results} result(s)`);
    if (new Set(indexes).size !== indexes.length) problems.push("an event reported twice");
    if (indexes.some((i) => i === undefined || i < 0 || i >= n)) problems.push("a report without its index");
  } else if (results !== 1 || reports.some((r) => r.index !== undefined)) {
    problems.push(`one event gave ${results} result(s)`);
  }
  for (const bad of frame.knownBad) {
    const found = reports.filter((r) => r.index === bad.index && r.as === bad.as);
    if (found.length !== 1)
      problems.push(`the ${bad.as} event at ${bad.index ?? "the frame"} reported ${found.length} time(s)`);
  }
  if (result.events.length < frame.knownGood)
    problems.push(`${frame.knownGood} good sample(s), ${result.events.length} decoded`);
  return problems;
}

export interface FuzzReport {
  target: "decoder" | "channel-client";
  frames: number;
  byKind: Record<string, number>;
  events: number;
  unknown: number;
  malformed: number;
  /** FrameStats agrees with the reports, one count each. */
  statsAgree: boolean;
  /** Frames whose accounting failed (the first few shown in `examples`). */
  failures: number;
  crashes: number;
  examples: string[];
  /** Channel client: frames it delivered, reconnections, errors. */
  delivered?: number;
  reconnects?: number;
  clientErrors?: number;
  ms: number;
}

class Tally {
  readonly stats = new FrameStats();
  readonly report: FuzzReport;

  constructor(target: FuzzReport["target"]) {
    this.report = {
      target,
      frames: 0,
      byKind: {},
      events: 0,
      unknown: 0,
      malformed: 0,
      statsAgree: true,
      failures: 0,
      crashes: 0,
      examples: [],
      ms: 0,
    };
  }

  check(frame: GeneratedFrame, text: string): void {
    const r = this.report;
    r.frames += 1;
    r.byKind[frame.kind] = (r.byKind[frame.kind] ?? 0) + 1;
    let result: DecodeResult;
    try {
      result = decodeFrame(text);
    } catch (err) {
      r.crashes += 1;
      if (r.examples.length < 5)
        r.examples.push(`${frame.kind}: threw ${(err as Error).message}: ${text.slice(0, 120)}`);
      return;
    }
    this.stats.record(result);
    r.events += result.events.length;
    r.unknown += result.unknown.length;
    r.malformed += result.malformed.length;
    const problems = frameProblems(frame, text, result);
    if (problems.length > 0) {
      r.failures += 1;
      if (r.examples.length < 5)
        r.examples.push(`${frame.kind}: ${problems.join("; ")}: ${text.slice(0, 120)}`);
    }
  }

  finish(startedAt: number): FuzzReport {
    const s = this.stats.snapshot();
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    this.report.statsAgree =
      s.frames === this.report.frames - this.report.crashes &&
      sum(s.decoded) === this.report.events &&
      sum(s.unknown) === this.report.unknown &&
      sum(s.malformed) === this.report.malformed;
    this.report.ms = Date.now() - startedAt;
    return this.report;
  }
}

/** decodeFrame on `frames` generated frames. */
export function fuzzDecoder(frames: number, seed = 1): FuzzReport {
  const started = Date.now();
  const gen = new FrameGenerator(seed);
  const tally = new Tally("decoder");
  for (let i = 0; i < frames; i++) {
    const frame = gen.next();
    tally.check(frame, textOf(frame.data));
  }
  return tally.finish(started);
}

/**
 * A real WebSocket server sends `frames` generated frames (text and binary messages) to a ChannelClient on
 * the market channel; each frame the client hands up is decoded and checked against the same frame
 * regenerated from the seed, in order.
 */
export async function fuzzChannelClient(frames: number, seed = 1): Promise<FuzzReport> {
  const started = Date.now();
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 64 * 1024 * 1024 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const tally = new Tally("channel-client");
  const expected = new FrameGenerator(seed);
  let delivered = 0;
  let clientErrors = 0;
  const examples: string[] = [];

  server.on("connection", (socket) => {
    let subscribed = false;
    socket.on("message", (data) => {
      const text = data.toString();
      if (text === "PING") {
        socket.send("PONG");
        return;
      }
      if (subscribed) return;
      subscribed = true;
      void send(socket);
    });
  });
  async function send(socket: WebSocket): Promise<void> {
    const gen = new FrameGenerator(seed);
    for (let i = 0; i < frames; i++) {
      const f = gen.next();
      socket.send(f.data, { binary: typeof f.data !== "string" });
      if (socket.bufferedAmount > 8 * 1024 * 1024) {
        await new Promise<void>((resolve) => {
          const wait = () => (socket.bufferedAmount < 1024 * 1024 ? resolve() : setTimeout(wait, 2));
          wait();
        });
      }
    }
    socket.send(END);
  }

  const client = new ChannelClient({ channel: "market", url: `ws://127.0.0.1:${port}`, assetIds: ["1"] });
  const done = new Promise<void>((resolve) => {
    let seen = 0;
    const fail = (why: string) => {
      tally.report.failures += 1;
      if (examples.length < 5) examples.push(why);
    };
    client.on("frame", (text: string) => {
      if (text === END) {
        // Whatever is left must be frames the client swallows: exactly `PONG`.
        while (seen < frames) {
          seen += 1;
          if (textOf(expected.next().data) !== "PONG") fail(`frame ${seen} never delivered`);
        }
        resolve();
        return;
      }
      delivered += 1;
      let frame: GeneratedFrame;
      do {
        if (seen >= frames) return fail("a frame delivered that was never sent");
        frame = expected.next();
        seen += 1;
      } while (textOf(frame.data) === "PONG");
      if (text !== textOf(frame.data))
        fail(`frame ${seen} (${frame.kind}): delivered text differs from what was sent`);
      tally.check(frame, text);
    });
    client.on("error", (err: Error) => {
      clientErrors += 1;
      if (examples.length < 5) examples.push(`client error: ${err.message}`);
    });
  });
  client.start();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      done,
      new Promise<void>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the channel client delivered ${delivered} of ${frames} frames in time`)),
          // 1 ms a frame: decoding and checking each frame here takes most of it (10^6 frames: ~4 min).
          Math.max(60_000, frames),
        );
      }),
    ]);
  } catch (err) {
    examples.push((err as Error).message);
    tally.report.failures += 1;
  } finally {
    clearTimeout(timer);
  }
  const stats = client.stats;
  await client.close();
  for (const s of server.clients) s.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const report = tally.finish(started);
  report.delivered = delivered;
  report.reconnects = stats.reconnects;
  report.clientErrors = clientErrors;
  report.examples = [...examples, ...report.examples].slice(0, 5);
  return report;
}

/** Whether a report shows the properties holding. */
export function fuzzClean(r: FuzzReport): boolean {
  return (
    r.failures === 0 &&
    r.crashes === 0 &&
    r.statsAgree &&
    (r.clientErrors ?? 0) === 0 &&
    (r.reconnects ?? 0) === 0
  );
}
