/**
 * A simulator for tests: loopback, any free port, and a clock the test moves by hand so that
 * every run sees the same market (no timer ticks unless asked for).
 */
import { once } from "node:events";
import { type ApiKeyCreds, Chain, ClobClient } from "@polymarket/clob-client-v2";
import { Wallet } from "ethers";
import { type RunningVenue, startVenue, type VenueOptions } from "../../src/venue/server/app";
import type { VenueMarket } from "../../src/venue/types";

/** 2026-01-01T00:00:00Z: windows of any length align with it. */
export const T0 = Date.UTC(2026, 0, 1);

export interface TestVenue extends RunningVenue {
  now(): number;
  /** Moves the clock forward in steps, running the simulation at each. */
  advance(ms: number, stepMs?: number): void;
}

export async function startTestVenue(options: VenueOptions = {}): Promise<TestVenue> {
  let now = options.clock ? options.clock() : T0 + 1_000;
  const venue = await startVenue({
    port: 0,
    seed: 1,
    assets: ["BTC"],
    windowMs: 120_000,
    autoTick: false,
    ...options,
    clock: () => now,
  });
  return {
    ...venue,
    now: () => now,
    advance(ms: number, stepMs = 100) {
      const end = now + ms;
      while (now < end) {
        now = Math.min(end, now + stepMs);
        venue.tick();
      }
    },
  };
}

/** A market of the venue open for trading now. */
export function openMarket(venue: RunningVenue): VenueMarket {
  const open = venue.simulation
    .markets()
    .find((m) => venue.simulation.engine.marketStatus(m.conditionId) === "open");
  if (!open) throw new Error("no open market");
  return open;
}

/** The client wants an ethers-v5 signer (`_signTypedData`). */
export function v5Signer(wallet: Wallet) {
  return {
    getAddress: async () => wallet.address,
    _signTypedData: (domain: object, types: object, value: object) =>
      wallet.signTypedData(domain as never, types as never, value as never),
  } as never;
}

export interface Trader {
  wallet: Wallet;
  client: ClobClient;
  creds: ApiKeyCreds;
}

/** A fresh wallet with derived API credentials, trading through the unmodified client. */
export async function newTrader(venue: RunningVenue): Promise<Trader> {
  const wallet = Wallet.createRandom() as unknown as Wallet;
  const signer = v5Signer(wallet);
  const l1 = new ClobClient({ host: venue.urls.clob, chain: Chain.POLYGON, signer, throwOnError: true });
  const creds = await l1.deriveApiKey();
  const client = new ClobClient({
    host: venue.urls.clob,
    chain: Chain.POLYGON,
    signer,
    creds,
    throwOnError: true,
  });
  return { wallet, client, creds };
}

/**
 * A raw channel connection whose subscription is known to be in effect: after the subscribe
 * message it sends PING and waits for PONG, and the venue handles one socket's messages in order.
 */
export async function connectChannel(url: string, subscribe: object) {
  const { WebSocket } = await import("ws");
  const ws = new WebSocket(url);
  const frames: string[] = [];
  let pong: (() => void) | undefined;
  ws.on("message", (data) => {
    const text = data.toString();
    if (text === "PONG") pong?.();
    else frames.push(text);
  });
  await once(ws, "open");
  const barrier = () =>
    new Promise<void>((resolve) => {
      pong = resolve;
      ws.send("PING");
    });
  ws.send(JSON.stringify(subscribe));
  await barrier();
  return {
    ws,
    frames,
    /** Resolves when every frame the venue sent before now has arrived. */
    barrier,
    send: (msg: object) => ws.send(JSON.stringify(msg)),
    close: async () => {
      ws.close();
      await once(ws, "close");
    },
  };
}
