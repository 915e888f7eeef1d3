import type { AddressInfo } from "node:net";
import pino from "pino";
import type WebSocket from "ws";
import { WebSocketServer } from "ws";
import { type BackoffPolicy, fullJitterBackoffMs } from "../../src/polymarket/backoff";
import {
  ChannelClient,
  type ChannelClientEvents,
  type ChannelClientOptions,
  type MarketChannelOptions,
  type ReconnectingInfo,
} from "../../src/polymarket/channel-client";

/** FIFO with awaitable reads, so tests wait for what the other side did instead of sleeping. */
class AsyncQueue<T> {
  private readonly items: T[] = [];
  private readonly readers: ((item: T) => void)[] = [];

  push(item: T): void {
    const reader = this.readers.shift();
    if (reader) reader(item);
    else this.items.push(item);
  }

  next(): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    return new Promise((resolve) => this.readers.push(resolve));
  }
}

interface VenueConnection {
  readonly socket: WebSocket;
  /** Everything the client sent except PINGs, in order. */
  readonly messages: AsyncQueue<string>;
  readonly pings: AsyncQueue<void>;
  /** Resolves with the close code the server saw. */
  readonly closed: Promise<number>;
}

/** A stand-in for the venue: a real ws server on 127.0.0.1 with an ephemeral port. */
class TestVenue {
  readonly connections = new AsyncQueue<VenueConnection>();
  /** What the venue does on PING: the documented PONG, nothing (a dead feed), or any other frame. */
  onPing: "pong" | "ignore" | "frame" = "pong";
  /** Upgrade requests still to refuse with HTTP 503. */
  refuseNextUpgrades = 0;
  private readonly open = new Set<WebSocket>();

  private constructor(private readonly server: WebSocketServer) {
    server.on("connection", (socket) => this.accept(socket));
  }

  static async start(): Promise<TestVenue> {
    const server = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      verifyClient: (_info, callback) => {
        if (venue.refuseNextUpgrades > 0) {
          venue.refuseNextUpgrades -= 1;
          callback(false, 503);
        } else {
          callback(true);
        }
      },
    });
    const venue = new TestVenue(server);
    await new Promise<void>((resolve) => server.once("listening", resolve));
    return venue;
  }

  url(path: string): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    this.open.add(socket);
    const messages = new AsyncQueue<string>();
    const pings = new AsyncQueue<void>();
    const closed = new Promise<number>((resolve) =>
      socket.on("close", (code) => {
        this.open.delete(socket);
        resolve(code);
      }),
    );
    socket.on("message", (data) => {
      const text = data.toString();
      if (text !== "PING") {
        messages.push(text);
        return;
      }
      pings.push();
      if (this.onPing === "pong") socket.send("PONG");
      if (this.onPing === "frame") socket.send(JSON.stringify({ event_type: "best_bid_ask" }));
    });
    this.connections.push({ socket, messages, pings, closed });
  }
}

/** mulberry32: a tiny seeded PRNG, so the client and the test can draw the same jitter. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function nextEvent<K extends keyof ChannelClientEvents>(
  client: ChannelClient,
  event: K,
): Promise<ChannelClientEvents[K]> {
  return new Promise((resolve) => {
    (client as NodeJS.EventEmitter).once(event, (...args: unknown[]) =>
      resolve(args as ChannelClientEvents[K]),
    );
  });
}

function collect<K extends keyof ChannelClientEvents>(
  client: ChannelClient,
  event: K,
): ChannelClientEvents[K][] {
  const seen: ChannelClientEvents[K][] = [];
  (client as NodeJS.EventEmitter).on(event, (...args: unknown[]) =>
    seen.push(args as ChannelClientEvents[K]),
  );
  return seen;
}

const AUTH = {
  apiKey: "0b6c8e6a-5a0e-4a57-9d1c-1f1f7c3c2a10",
  secret: "c2VjcmV0LXZhbHVlLW5ldmVyLWxvZ2dlZA==",
  passphrase: "passphrase-never-logged",
};

const FAST_BACKOFF: BackoffPolicy = { baseMs: 10, capMs: 40 };

let venue: TestVenue;
const clients: ChannelClient[] = [];

function makeClient(options: ChannelClientOptions): ChannelClient {
  const client = new ChannelClient(options);
  clients.push(client);
  return client;
}

function marketClient(overrides: Partial<Omit<MarketChannelOptions, "channel">> = {}): ChannelClient {
  return makeClient({ channel: "market", url: venue.url("/ws/market"), backoff: FAST_BACKOFF, ...overrides });
}

beforeEach(async () => {
  venue = await TestVenue.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await venue.stop();
});

describe("subscription messages", () => {
  test("market: the subscription is the first message, with the AsyncAPI field names", async () => {
    const client = marketClient({ assetIds: ["111", "222"] });
    client.start();
    const connection = await venue.connections.next();

    expect(JSON.parse(await connection.messages.next())).toEqual({
      assets_ids: ["111", "222"],
      type: "market",
      initial_dump: true,
      custom_feature_enabled: true,
    });
  });

  test("market: custom features can be turned off", async () => {
    const client = marketClient({ assetIds: ["111"], customFeatures: false });
    client.start();
    const connection = await venue.connections.next();

    expect(JSON.parse(await connection.messages.next())).toMatchObject({ custom_feature_enabled: false });
  });

  test("user: auth and markets, and neither secret nor passphrase ever reaches the log", async () => {
    const logLines: string[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => logLines.push(line) });
    const client = makeClient({
      channel: "user",
      url: venue.url("/ws/user"),
      auth: AUTH,
      markets: ["0xc0ffee"],
      logger,
    });
    client.start();
    const connection = await venue.connections.next();

    expect(JSON.parse(await connection.messages.next())).toEqual({
      auth: { apiKey: AUTH.apiKey, secret: AUTH.secret, passphrase: AUTH.passphrase },
      type: "user",
      markets: ["0xc0ffee"],
    });

    client.subscribe(["0xbeef"]);
    expect(JSON.parse(await connection.messages.next())).toEqual({
      operation: "subscribe",
      markets: ["0xbeef"],
    });
    client.unsubscribe(["0xc0ffee"]);
    expect(JSON.parse(await connection.messages.next())).toEqual({
      operation: "unsubscribe",
      markets: ["0xc0ffee"],
    });

    await client.close();
    expect(logLines.length).toBeGreaterThan(0);
    const log = logLines.join("");
    expect(log).not.toContain(AUTH.secret);
    expect(log).not.toContain(AUTH.passphrase);
  });

  test("user: without markets the field is omitted (the venue then streams all markets)", async () => {
    const client = makeClient({ channel: "user", url: venue.url("/ws/user"), auth: AUTH });
    client.start();
    const connection = await venue.connections.next();

    expect(JSON.parse(await connection.messages.next())).toEqual({ auth: AUTH, type: "user" });
  });

  test("market: dynamic subscribe/unsubscribe send only the changes; before connect they wait", async () => {
    const client = marketClient({ assetIds: ["111", "222"] });
    client.subscribe(["333"]);
    const opened = nextEvent(client, "open");
    client.start();
    const connection = await venue.connections.next();
    expect(JSON.parse(await connection.messages.next())).toMatchObject({ assets_ids: ["111", "222", "333"] });
    await opened;

    client.subscribe(["444", "111", "444"]);
    expect(JSON.parse(await connection.messages.next())).toEqual({
      operation: "subscribe",
      assets_ids: ["444"],
      custom_feature_enabled: true,
    });
    client.unsubscribe(["222", "999"]);
    expect(JSON.parse(await connection.messages.next())).toEqual({
      operation: "unsubscribe",
      assets_ids: ["222"],
      custom_feature_enabled: true,
    });
    expect(client.subscriptions).toEqual(["111", "333", "444"]);
  });
});

describe("keepalive", () => {
  test("sends PING on the interval; PONGs keep the connection and are not frames", async () => {
    // pongTimeoutMs < pingIntervalMs: each liveness check has run before the next PING goes out.
    const client = marketClient({ assetIds: ["111"], pingIntervalMs: 50, pongTimeoutMs: 40 });
    const frames = collect(client, "frame");
    const closes = collect(client, "close");
    client.start();
    const connection = await venue.connections.next();
    await connection.messages.next();

    for (let i = 0; i < 4; i++) await connection.pings.next();

    expect(closes).toEqual([]);
    expect(frames).toEqual([]);
    expect(client.stats.messagesReceived).toBe(0);
    expect(client.state).toBe("open");
  });

  test("any inbound message counts as liveness, not only PONG", async () => {
    venue.onPing = "frame";
    const client = marketClient({ assetIds: ["111"], pingIntervalMs: 50, pongTimeoutMs: 40 });
    const closes = collect(client, "close");
    client.start();
    const connection = await venue.connections.next();

    for (let i = 0; i < 4; i++) await connection.pings.next();

    expect(closes).toEqual([]);
    expect(client.stats.messagesReceived).toBeGreaterThanOrEqual(3);
  });

  test("no PONG: terminates, reconnects, resubscribes everything, emits reconnected", async () => {
    const client = marketClient({ assetIds: ["111"], pingIntervalMs: 30, pongTimeoutMs: 20 });
    const opened = nextEvent(client, "open");
    client.start();
    const first = await venue.connections.next();
    await first.messages.next();
    await opened;
    client.subscribe(["222"]);
    await first.messages.next();

    venue.onPing = "ignore";
    const closed = nextEvent(client, "close");
    const reconnected = nextEvent(client, "reconnected");
    const [code, reason] = await closed;
    expect(code).toBe(1006);
    expect(reason).toBe("no message within 20 ms of PING");

    const second = await venue.connections.next();
    expect(JSON.parse(await second.messages.next())).toEqual({
      assets_ids: ["111", "222"],
      type: "market",
      initial_dump: true,
      custom_feature_enabled: true,
    });
    const [info] = await reconnected;
    expect(info.attempts).toBe(1);
    expect(info.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(client.stats.reconnects).toBe(1);
    expect(await first.closed).toBe(1006);
  });
});

describe("reconnect", () => {
  test("server drops: reconnects with the full-jitter delays of the seeded random", async () => {
    const policy: BackoffPolicy = { baseMs: 20, capMs: 60 };
    const client = marketClient({ assetIds: ["111"], backoff: policy, random: seededRandom(42) });
    const reconnecting = collect(client, "reconnecting");
    const reconnected = collect(client, "reconnected");
    client.start();

    for (let i = 0; i < 4; i++) {
      const connection = await venue.connections.next();
      expect(JSON.parse(await connection.messages.next())).toMatchObject({ assets_ids: ["111"] });
      connection.socket.terminate();
    }
    const fifth = await venue.connections.next();
    await fifth.messages.next();

    const expectedRandom = seededRandom(42);
    const expected: ReconnectingInfo[] = [0, 1, 2, 3].map((attempt) => ({
      attempt: attempt + 1,
      delayMs: fullJitterBackoffMs(attempt, policy, expectedRandom),
    }));
    expect(reconnecting.map(([info]) => info)).toEqual(expected);
    // "reconnected" is emitted right after the subscription is written, before the venue reads it.
    // Each drop was a separate outage that took one attempt to recover from.
    expect(reconnected.map(([info]) => info.attempts)).toEqual([1, 1, 1, 1]);
    expect(client.stats.reconnects).toBe(4);
  });

  test("a connection that stayed up for stableAfterMs resets the backoff", async () => {
    const client = marketClient({ assetIds: ["111"], pingIntervalMs: 20, stableAfterMs: 50 });
    const reconnecting = collect(client, "reconnecting");
    client.start();

    for (let i = 0; i < 2; i++) {
      const unstable = await venue.connections.next();
      await unstable.messages.next();
      unstable.socket.terminate();
    }
    const stable = await venue.connections.next();
    // The third PING (at 60 ms) goes out after the 50 ms stability timer, both armed at open.
    for (let i = 0; i < 3; i++) await stable.pings.next();
    stable.socket.terminate();
    await venue.connections.next();

    expect(reconnecting.map(([info]) => info.attempt)).toEqual([1, 2, 1]);
  });

  test("refused handshakes are errors, not closes, and count as attempts of the outage", async () => {
    const client = marketClient({ assetIds: ["111"] });
    const errors = collect(client, "error");
    const closes = collect(client, "close");
    client.start();
    const first = await venue.connections.next();
    await first.messages.next();

    venue.refuseNextUpgrades = 2;
    const reconnected = nextEvent(client, "reconnected");
    first.socket.terminate();
    const [info] = await reconnected;

    expect(info.attempts).toBe(3);
    expect(errors.map(([error]) => error.message)).toEqual([
      "Unexpected server response: 503",
      "Unexpected server response: 503",
    ]);
    expect(closes).toHaveLength(1);
  });

  test("an error without a caller's listener is logged, never thrown", async () => {
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push(line) });
    venue.refuseNextUpgrades = 1;
    const client = marketClient({ logger });
    const opened = nextEvent(client, "open");
    client.start();

    await opened;
    expect(warnings.map((line) => JSON.parse(line).msg)).toEqual(["channel error"]);
  });
});

describe("frames", () => {
  test("delivered raw and in order, array frames included; counters follow", async () => {
    const client = marketClient({ assetIds: ["111"] });
    const frames = collect(client, "frame");
    client.start();
    const connection = await venue.connections.next();
    await connection.messages.next();

    const sent: string[] = [];
    for (let seq = 0; seq < 200; seq++) sent.push(JSON.stringify({ event_type: "price_change", seq }));
    sent.push('[{"event_type":"book","asset_id":"111","bids":[],"asks":[]}, {"event_type":"book"}]');
    sent.push("not json");
    const allDelivered = new Promise<void>((resolve) =>
      client.on("frame", () => frames.length === sent.length && resolve()),
    );
    for (const text of sent) connection.socket.send(text);
    await allDelivered;

    expect(frames.map(([text]) => text)).toEqual(sent);
    const times = frames.map(([, receivedAt]) => receivedAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(client.stats.messagesReceived).toBe(sent.length);
    expect(client.stats.lastMessageAt).toBe(times.at(-1));
  });

  test("a throwing listener becomes an 'error' event and later frames still arrive", async () => {
    const client = marketClient({ assetIds: ["111"] });
    const boom = new Error("listener bug");
    client.once("frame", () => {
      throw boom;
    });
    const error = nextEvent(client, "error");
    const second = new Promise<string>((resolve) =>
      client.on("frame", (text) => text === "2" && resolve(text)),
    );
    client.start();
    const connection = await venue.connections.next();
    await connection.messages.next();
    connection.socket.send("1");
    connection.socket.send("2");

    expect(await error).toEqual([boom]);
    expect(await second).toBe("2");
  });
});

describe("close()", () => {
  test("closes with 1000 and stays closed", async () => {
    const client = marketClient({ assetIds: ["111"] });
    client.start();
    const connection = await venue.connections.next();
    await connection.messages.next();

    await client.close();

    expect(await connection.closed).toBe(1000);
    expect(client.state).toBe("closed");
    expect(() => client.start()).toThrow("cannot start a closed channel client");
  });

  test("called from a frame listener: no frame is delivered after it", async () => {
    const client = marketClient({ assetIds: ["111"] });
    const frames = collect(client, "frame");
    const closed = new Promise<void>((resolve) => client.once("frame", () => resolve(client.close())));
    client.start();
    const connection = await venue.connections.next();
    await connection.messages.next();
    for (const text of ["1", "2", "3"]) connection.socket.send(text);

    await closed;
    expect(frames.map(([text]) => text)).toEqual(["1"]);
  });

  test("while waiting to reconnect: the timer is cleared", async () => {
    const client = marketClient({ assetIds: ["111"], backoff: { baseMs: 60_000, capMs: 60_000 } });
    const reconnecting = nextEvent(client, "reconnecting");
    client.start();
    const connection = await venue.connections.next();
    await connection.messages.next();
    connection.socket.terminate();
    await reconnecting;

    await client.close();
    expect(client.state).toBe("closed");
  });

  test("while connecting: aborts quietly", async () => {
    const client = marketClient({ assetIds: ["111"] });
    const errors = collect(client, "error");
    client.start();

    await client.close();
    expect(errors).toEqual([]);
  });
});

describe("options", () => {
  test("rejects non-WebSocket urls and nonsensical timings", () => {
    expect(() => new ChannelClient({ channel: "market", url: "https://example.com/ws/market" })).toThrow(
      "channel url must be ws: or wss:",
    );
    expect(() => marketClient({ pingIntervalMs: 0 })).toThrow(RangeError);
    expect(() => marketClient({ backoff: { baseMs: 100, capMs: 10 } })).toThrow(RangeError);
  });
});
