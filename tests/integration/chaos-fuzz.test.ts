/**
 * Fuzzing of the frame decoder and the channel client (bench/chaos/fuzz.ts), short: `npm run chaos --
 * --fuzz` runs 10^6 frames per target, this 20,000. Generated frames — valid samples, truncated, events of
 * wrong or unknown types, non-objects, random mutations, huge frames, deep nesting, binary, heartbeats —
 * never make decodeFrame throw, every event is accounted for exactly once (each bad one reported once, where
 * it is), and the client delivers every frame once, in order, on one connection.
 */
import {
  FrameGenerator,
  frameProblems,
  fuzzChannelClient,
  fuzzClean,
  fuzzDecoder,
} from "../../bench/chaos/fuzz";
import type { DecodeResult } from "../../src/protocol/frames";

const FRAMES = 20_000;

const result = (over: Partial<DecodeResult>): DecodeResult => ({
  control: undefined,
  events: [],
  unknown: [],
  malformed: [],
  ...over,
});

describe("frame fuzzing's accounting", () => {
  const notObject = {
    kind: "not-object" as const,
    data: "",
    knownBad: [{ index: 1, as: "malformed" as const }],
    knownGood: 1,
  };
  const text = JSON.stringify([{ event_type: "book" }, 7]);
  // biome-ignore lint/suspicious/noExplicitAny: a decoded event's shape does not matter here
  const event = { type: "book" } as any;

  it("accepts each event accounted for once, where it is", () => {
    expect(
      frameProblems(
        notObject,
        text,
        result({ events: [event], malformed: [{ eventType: "(none)", index: 1, reason: "x" }] }),
      ),
    ).toEqual([]);
  });

  it("flags a bad event reported twice, not reported, or reported without its index", () => {
    const twice = result({
      events: [event],
      malformed: [
        { eventType: "(none)", index: 1, reason: "x" },
        { eventType: "(none)", index: 1, reason: "x" },
      ],
    });
    expect(frameProblems(notObject, text, twice)).toContain("an event reported twice");
    expect(frameProblems(notObject, text, result({ events: [event, event] }))).toContain(
      "the malformed event at 1 reported 0 time(s)",
    );
    expect(
      frameProblems(
        notObject,
        text,
        result({ events: [event], malformed: [{ eventType: "(none)", index: undefined, reason: "x" }] }),
      ),
    ).toContain("a report without its index");
  });

  it("flags text that is not JSON unless it gave exactly one malformed report, and a heartbeat that gave any", () => {
    const cut = {
      kind: "truncated" as const,
      data: "",
      knownBad: [{ index: undefined, as: "malformed" as const }],
      knownGood: 0,
    };
    expect(frameProblems(cut, '{"a":', result({}))).toHaveLength(2);
    const ping = { kind: "control" as const, data: "", knownBad: [], knownGood: 0 };
    expect(frameProblems(ping, "PING", result({ control: "PING" }))).toEqual([]);
    expect(
      frameProblems(
        ping,
        "PING",
        result({ control: "PING", unknown: [{ eventType: "x", index: undefined }] }),
      ),
    ).toHaveLength(1);
  });

  it("generates the same frames from the same seed, of every kind", () => {
    const a = new FrameGenerator(5);
    const b = new FrameGenerator(5);
    const kinds = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const x = a.next();
      expect(b.next().data).toEqual(x.data);
      kinds.add(x.kind);
    }
    expect([...kinds]).toEqual(
      expect.arrayContaining([
        "array",
        "binary",
        "control",
        "mutated",
        "not-object",
        "truncated",
        "unknown-type",
        "valid",
        "wrong-type",
      ]),
    );
  });
});

describe("fuzzing", () => {
  it(`the decoder: ${FRAMES} generated frames, no throw, every event accounted for once`, () => {
    const r = fuzzDecoder(FRAMES, 21);
    expect({ clean: fuzzClean(r), examples: r.examples }).toEqual({ clean: true, examples: [] });
    expect(r.frames).toBe(FRAMES);
    expect(r.malformed).toBeGreaterThan(FRAMES / 10);
    expect(r.unknown).toBeGreaterThan(FRAMES / 50);
  });

  it(`the channel client: ${FRAMES} generated frames over a real socket, each delivered once, in order`, async () => {
    const r = await fuzzChannelClient(FRAMES, 22);
    expect({ clean: fuzzClean(r), examples: r.examples }).toEqual({ clean: true, examples: [] });
    expect(r.delivered).toBeGreaterThan(FRAMES * 0.9);
    expect(r.reconnects).toBe(0);
  }, 120_000);
});
