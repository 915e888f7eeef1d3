/**
 * A reconnecting client for the two Polymarket CLOB V2 WebSocket channels:
 *
 * - `market` (public, `/ws/market`): book snapshots and deltas per asset (token) id;
 * - `user` (authenticated, `/ws/user`): the API key's own orders and trades, per market
 *   (condition id).
 *
 * The client owns the transport only: it subscribes, keeps the connection alive, detects dead
 * connections, reconnects with backoff and resubscribes, and hands every data frame upward as
 * raw text. It does not parse frames (that belongs to the protocol layer) and it cannot know
 * what was missed while disconnected: on "reconnected" the caller must reconcile over REST.
 *
 * Venue quirks this client accounts for (AsyncAPI spec of both channels, plus field reports):
 * - The first message on a socket must be the subscription. The venue closes a socket whose
 *   first message is anything else, including the keepalive `PING`
 *   (1008 "invalid subscription payload"), so the subscription is sent on open and the
 *   keepalive only starts afterwards.
 * - Keepalive is application-level text, not WebSocket ping frames: the client sends `PING`
 *   every 10 s and the venue answers `PONG`. Without it, idle connections are dropped. A socket
 *   can also stay open while the feed has silently stopped, so the client treats "no message at
 *   all within the pong timeout after a PING" as a dead connection.
 * - Subscriptions are per connection: after any reconnect everything must be sent again.
 * - Frames are JSON objects or JSON arrays of them (the initial book dump arrives as an array).
 *   Anything that is not exactly `PONG`, JSON or not, is passed through untouched as a "frame".
 */

import { EventEmitter } from "node:events";
import WebSocket from "ws";
import { wsFramesReceived, wsReconnects } from "../metrics/registry";
import { assertBackoffPolicy, type BackoffPolicy, fullJitterBackoffMs, type RandomSource } from "./backoff";

export type ChannelName = "market" | "user";

/** CLOB L2 API credentials. Secret and passphrase must never reach a log. */
export interface UserChannelAuth {
  readonly apiKey: string;
  readonly secret: string;
  readonly passphrase: string;
}

/** The subset of a pino logger the client uses; a pino Logger satisfies it. */
export interface ChannelLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A logger that adds `fields` to every line (e.g. the market a channel serves). */
export function withFields(log: ChannelLogger, fields: object): ChannelLogger {
  return {
    debug: (obj, msg) => log.debug({ ...fields, ...obj }, msg),
    info: (obj, msg) => log.info({ ...fields, ...obj }, msg),
    warn: (obj, msg) => log.warn({ ...fields, ...obj }, msg),
    error: (obj, msg) => log.error({ ...fields, ...obj }, msg),
  };
}

interface CommonOptions {
  /** e.g. wss://ws-subscriptions-clob.polymarket.com/ws/market or ws://127.0.0.1:7788/ws/user */
  readonly url: string;
  /** Interval between keepalive `PING`s. Default 10 000 ms, the venue's documented cadence. */
  readonly pingIntervalMs?: number;
  /**
   * A connection with no inbound message within this long after a `PING` is dead. Default 5 000 ms:
   * generous for a PONG round trip, and short enough that a dead feed is noticed within
   * pingIntervalMs + pongTimeoutMs (15 s) at worst.
   */
  readonly pongTimeoutMs?: number;
  /** Opening-handshake timeout. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Full-jitter reconnect backoff. Default base 500 ms, cap 30 000 ms. */
  readonly backoff?: BackoffPolicy;
  /** A connection open this long resets the backoff to its first window. Default 30 000 ms. */
  readonly stableAfterMs?: number;
  /** close() waits this long for the closing handshake, then drops the socket. Default 1 000 ms. */
  readonly closeTimeoutMs?: number;
  /** Default Math.random. */
  readonly random?: RandomSource;
  /** Wall clock for frame timestamps and downtime, in epoch ms. Default Date.now. */
  readonly now?: () => number;
  readonly logger?: ChannelLogger;
}

export interface MarketChannelOptions extends CommonOptions {
  readonly channel: "market";
  /**
   * Asset (token) ids to subscribe to on connect. With none, `assets_ids: []` is still sent: the
   * venue accepts it as a first message (field reports: with custom features it then streams
   * new_market events only).
   */
  readonly assetIds?: Iterable<string>;
  /**
   * Sets `custom_feature_enabled`, which adds best_bid_ask, new_market and market_resolved
   * events. Default true.
   */
  readonly customFeatures?: boolean;
}

export interface UserChannelOptions extends CommonOptions {
  readonly channel: "user";
  readonly auth: UserChannelAuth;
  /**
   * Condition ids to subscribe to on connect. Venue semantics: with none, the `markets` field is
   * omitted and the venue streams the API key's events for all markets.
   */
  readonly markets?: Iterable<string>;
}

export type ChannelClientOptions = MarketChannelOptions | UserChannelOptions;

export const CHANNEL_CLIENT_DEFAULTS = {
  pingIntervalMs: 10_000,
  pongTimeoutMs: 5_000,
  connectTimeoutMs: 10_000,
  backoff: { baseMs: 500, capMs: 30_000 },
  stableAfterMs: 30_000,
  closeTimeoutMs: 1_000,
  customFeatures: true,
} as const;

export interface ReconnectingInfo {
  /** 1-based count of consecutive attempts since the last stable connection (drives the backoff). */
  readonly attempt: number;
  readonly delayMs: number;
}

export interface ReconnectedInfo {
  /** Connection attempts it took since the drop, including the successful one. */
  readonly attempts: number;
  /** From the drop to the new connection being open and resubscribed. */
  readonly downtimeMs: number;
}

export interface ChannelClientEvents {
  /** A connection is open and the subscription has been sent. */
  open: [];
  /** An open connection closed; reconnection follows unless close() was called. */
  close: [code: number, reason: string];
  /** One data frame, raw, in arrival order. `PONG`s are not frames. */
  frame: [text: string, receivedAt: number];
  /** Transport errors and exceptions thrown by listeners. Never fatal; a default listener logs. */
  error: [error: Error];
  /** A (re)connection attempt is scheduled after delayMs. */
  reconnecting: [info: ReconnectingInfo];
  /** Connected again after a drop: anything may have been missed, so reconcile over REST. */
  reconnected: [info: ReconnectedInfo];
}

export type ChannelClientState = "idle" | "connecting" | "open" | "backoff" | "closed";

export interface ChannelClientStats {
  /** Data frames received (PONGs excluded: they say nothing about the feed's freshness). */
  readonly messagesReceived: number;
  readonly reconnects: number;
  /** Receive time of the last data frame, epoch ms; undefined before the first. */
  readonly lastMessageAt: number | undefined;
}

const PING = "PING";
const PONG = "PONG";
const NORMAL_CLOSURE = 1000;

const silentLogger: ChannelLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** One WebSocket and the timers that live exactly as long as it does. */
interface Connection {
  readonly socket: WebSocket;
  opened: boolean;
  /** Inbound messages of any kind, PONGs included: the liveness signal. */
  inbound: number;
  pingTimer?: NodeJS.Timeout;
  pongTimer?: NodeJS.Timeout;
  stableTimer?: NodeJS.Timeout;
  /** Set when the client itself terminates a dead connection; reported as the close reason. */
  deadReason?: string;
}

export class ChannelClient extends EventEmitter<ChannelClientEvents> {
  readonly channel: ChannelName;
  readonly url: string;

  private readonly options: ChannelClientOptions;
  private readonly pingIntervalMs: number;
  private readonly pongTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly stableAfterMs: number;
  private readonly closeTimeoutMs: number;
  private readonly random: RandomSource;
  private readonly now: () => number;
  private readonly log: ChannelLogger;

  /** What the caller wants subscribed; sent in full on every (re)connect. */
  private readonly desired: Set<string>;
  private currentState: ChannelClientState = "idle";
  private connection: Connection | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Consecutive attempts since the last stable connection; index into the backoff. */
  private backoffAttempt = 0;
  /** Set from the drop of an open connection until the next one opens. */
  private outage: { readonly startedAt: number; attempts: number } | undefined;
  private closing: Promise<void> | undefined;
  private messagesReceived = 0;
  private reconnects = 0;
  private lastMessageAt: number | undefined;
  /** The process's counters of this channel (src/metrics): ballast_ws_frames_received_total, …_reconnects_total. */
  private readonly framesCounter: { inc(): void };
  private readonly reconnectsCounter: { inc(): void };

  constructor(options: ChannelClientOptions) {
    super();
    const protocol = new URL(options.url).protocol;
    if (protocol !== "ws:" && protocol !== "wss:") {
      throw new Error(`channel url must be ws: or wss:, got ${protocol}`);
    }
    this.options = options;
    this.channel = options.channel;
    this.url = options.url;
    const defaults = CHANNEL_CLIENT_DEFAULTS;
    this.pingIntervalMs = positive("pingIntervalMs", options.pingIntervalMs ?? defaults.pingIntervalMs);
    this.pongTimeoutMs = positive("pongTimeoutMs", options.pongTimeoutMs ?? defaults.pongTimeoutMs);
    this.connectTimeoutMs = positive(
      "connectTimeoutMs",
      options.connectTimeoutMs ?? defaults.connectTimeoutMs,
    );
    this.stableAfterMs = positive("stableAfterMs", options.stableAfterMs ?? defaults.stableAfterMs);
    this.closeTimeoutMs = positive("closeTimeoutMs", options.closeTimeoutMs ?? defaults.closeTimeoutMs);
    this.backoff = options.backoff ?? CHANNEL_CLIENT_DEFAULTS.backoff;
    assertBackoffPolicy(this.backoff);
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? silentLogger;
    this.desired = new Set(options.channel === "market" ? options.assetIds : options.markets);
    this.framesCounter = wsFramesReceived.labels({ channel: this.channel });
    this.reconnectsCounter = wsReconnects.labels({ channel: this.channel });
    // An 'error' without listeners would throw out of emit() and crash the process.
    this.on("error", (error) => this.log.warn({ channel: this.channel, err: error }, "channel error"));
  }

  get state(): ChannelClientState {
    return this.currentState;
  }

  /** Asset ids (market channel) or condition ids (user channel) to be subscribed on (re)connect. */
  get subscriptions(): readonly string[] {
    return [...this.desired];
  }

  get stats(): ChannelClientStats {
    return {
      messagesReceived: this.messagesReceived,
      reconnects: this.reconnects,
      lastMessageAt: this.lastMessageAt,
    };
  }

  /**
   * Opens the first connection; progress is reported through events ("open", "reconnecting", ...).
   * Throws only if ws rejects the URL (e.g. one with a #fragment).
   */
  start(): void {
    if (this.currentState !== "idle") throw new Error(`cannot start a ${this.currentState} channel client`);
    this.connect();
  }

  /**
   * Adds ids to the subscription: asset ids on the market channel, condition ids on the user
   * channel. Sent right away when connected; otherwise on the next (re)connect.
   */
  subscribe(ids: Iterable<string>): void {
    const added = [...new Set(ids)].filter((id) => !this.desired.has(id));
    for (const id of added) this.desired.add(id);
    this.sendUpdate("subscribe", added);
  }

  /** Removes ids from the subscription, on the live connection too when there is one. */
  unsubscribe(ids: Iterable<string>): void {
    const removed = [...new Set(ids)].filter((id) => this.desired.has(id));
    for (const id of removed) this.desired.delete(id);
    this.sendUpdate("unsubscribe", removed);
  }

  /**
   * Stops for good: no further reconnects, every timer cleared. Resolves once the socket is
   * closed (after a normal closing handshake, or forcibly after closeTimeoutMs).
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.currentState = "closed";
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const connection = this.connection;
    if (!connection) {
      this.closing = Promise.resolve();
      return this.closing;
    }
    this.stopConnectionTimers(connection);
    const { socket } = connection;
    this.closing = new Promise<void>((resolve) => {
      const forceTimer = setTimeout(() => socket.terminate(), this.closeTimeoutMs);
      socket.once("close", () => {
        clearTimeout(forceTimer);
        resolve();
      });
    });
    // On a socket still connecting, ws aborts the handshake and emits 'error' then 'close'.
    socket.close(NORMAL_CLOSURE, "client closing");
    return this.closing;
  }

  private connect(): void {
    this.currentState = "connecting";
    this.log.debug({ channel: this.channel, url: this.url }, "connecting");
    const socket = new WebSocket(this.url, { handshakeTimeout: this.connectTimeoutMs });
    const connection: Connection = { socket, opened: false, inbound: 0 };
    this.connection = connection;
    socket.on("open", () => this.onOpen(connection));
    socket.on("message", (data) => this.onMessage(connection, data));
    socket.on("error", (error) => this.onSocketError(error));
    socket.on("close", (code, reason) => this.onSocketClose(connection, code, reason.toString("utf8")));
  }

  private onOpen(connection: Connection): void {
    connection.opened = true;
    this.currentState = "open";
    this.send(connection, this.subscriptionMessage());
    this.log.info({ channel: this.channel, subscriptions: this.desired.size }, "connected and subscribed");
    connection.pingTimer = setInterval(() => this.ping(connection), this.pingIntervalMs);
    connection.stableTimer = setTimeout(() => {
      this.backoffAttempt = 0;
    }, this.stableAfterMs);
    this.emitSafely("open");
    if (this.outage) {
      const info: ReconnectedInfo = {
        attempts: this.outage.attempts,
        downtimeMs: this.now() - this.outage.startedAt,
      };
      this.outage = undefined;
      this.reconnects += 1;
      this.reconnectsCounter.inc();
      this.log.info({ channel: this.channel, ...info }, "reconnected");
      this.emitSafely("reconnected", info);
    }
  }

  private onMessage(connection: Connection, data: WebSocket.RawData): void {
    // ws may deliver several buffered messages in one tick; none after close().
    if (this.currentState === "closed") return;
    connection.inbound += 1;
    // binaryType stays at ws's default "nodebuffer", so every message arrives as one Buffer.
    const text = (data as Buffer).toString("utf8");
    if (text === PONG) return;
    const receivedAt = this.now();
    this.messagesReceived += 1;
    this.framesCounter.inc();
    this.lastMessageAt = receivedAt;
    this.emitSafely("frame", text, receivedAt);
  }

  private onSocketError(error: Error): void {
    // After close() the only errors left are those of the teardown itself (e.g. an aborted handshake).
    if (this.currentState === "closed") return;
    this.emitSafely("error", error);
  }

  private onSocketClose(connection: Connection, code: number, reason: string): void {
    this.stopConnectionTimers(connection);
    if (this.connection === connection) this.connection = undefined;
    if (connection.opened) {
      const closeReason = connection.deadReason ?? reason;
      const level = this.currentState === "closed" ? "info" : "warn";
      this.log[level]({ channel: this.channel, code, reason: closeReason }, "connection closed");
      this.emitSafely("close", code, closeReason);
    }
    if (this.currentState === "closed") return;
    if (connection.opened) this.outage = { startedAt: this.now(), attempts: 0 };
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delayMs = fullJitterBackoffMs(this.backoffAttempt, this.backoff, this.random);
    this.backoffAttempt += 1;
    this.currentState = "backoff";
    const info: ReconnectingInfo = { attempt: this.backoffAttempt, delayMs };
    this.log.info({ channel: this.channel, ...info }, "reconnecting");
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.outage) this.outage.attempts += 1;
      this.connect();
    }, delayMs);
    this.emitSafely("reconnecting", info);
  }

  /**
   * Sends `PING` and, unless a check is already pending, arms the liveness check: the connection
   * is dead if nothing at all (PONG or data) arrives within pongTimeoutMs. Counting any message,
   * not just PONG, keeps a busy but slow-to-PONG connection alive.
   */
  private ping(connection: Connection): void {
    this.send(connection, PING);
    if (connection.pongTimer) return;
    const inboundAtPing = connection.inbound;
    connection.pongTimer = setTimeout(() => {
      connection.pongTimer = undefined;
      if (connection.inbound !== inboundAtPing) return;
      connection.deadReason = `no message within ${this.pongTimeoutMs} ms of PING`;
      this.log.warn({ channel: this.channel }, `terminating dead connection: ${connection.deadReason}`);
      connection.socket.terminate();
    }, this.pongTimeoutMs);
  }

  private stopConnectionTimers(connection: Connection): void {
    clearInterval(connection.pingTimer);
    clearTimeout(connection.pongTimer);
    clearTimeout(connection.stableTimer);
    connection.pingTimer = undefined;
    connection.pongTimer = undefined;
    connection.stableTimer = undefined;
  }

  /**
   * The initial subscription, sent first on every connection. Carries the user channel's
   * credentials: never log it.
   */
  private subscriptionMessage(): string {
    const ids = [...this.desired];
    if (this.options.channel === "market") {
      return JSON.stringify({
        assets_ids: ids,
        type: "market",
        // Explicit although it is the venue default: the book layer rebuilds from this snapshot.
        initial_dump: true,
        custom_feature_enabled: this.options.customFeatures ?? CHANNEL_CLIENT_DEFAULTS.customFeatures,
      });
    }
    const { apiKey, secret, passphrase } = this.options.auth;
    return JSON.stringify({
      auth: { apiKey, secret, passphrase },
      type: "user",
      ...(ids.length > 0 ? { markets: ids } : {}),
    });
  }

  /** Dynamic (un)subscription on the live connection; the venue expects no `type` and no auth here. */
  private sendUpdate(operation: "subscribe" | "unsubscribe", ids: string[]): void {
    const connection = this.connection;
    if (ids.length === 0 || !connection?.opened) return;
    const message =
      this.options.channel === "market"
        ? {
            operation,
            assets_ids: ids,
            custom_feature_enabled: this.options.customFeatures ?? CHANNEL_CLIENT_DEFAULTS.customFeatures,
          }
        : { operation, markets: ids };
    this.log.debug({ channel: this.channel, operation, count: ids.length }, "subscription update");
    this.send(connection, JSON.stringify(message));
  }

  private send(connection: Connection, text: string): void {
    if (connection.socket.readyState !== WebSocket.OPEN) return;
    connection.socket.send(text, (error) => {
      if (error && this.connection === connection) this.emitSafely("error", error);
    });
  }

  /**
   * emit() runs listeners synchronously, so a throwing listener would otherwise unwind into the
   * ws socket handlers or a timer and crash the process. Listener exceptions become "error"
   * events; an exception from an "error" listener is logged.
   */
  private emitSafely<K extends keyof ChannelClientEvents>(event: K, ...args: ChannelClientEvents[K]): void {
    try {
      (this as EventEmitter).emit(event, ...args);
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      if (event === "error") {
        this.log.error({ channel: this.channel, err: error }, "channel error listener threw");
      } else {
        this.emitSafely("error", error);
      }
    }
  }
}

function positive(name: string, ms: number): number {
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new RangeError(`${name} must be a positive number of ms, got ${ms}`);
  }
  return ms;
}
