/**
 * The venue keeps its state across a restart: a venue started on the data directory of another finds
 * the orders, trades, balances, books, markets and resolutions as they were, and goes on as the first
 * one would have. Driven through the unmodified clob-client-v2 and the REST endpoints.
 */
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { type ApiKeyCreds, AssetType, Chain, ClobClient, OrderType, Side } from "@polymarket/clob-client-v2";
import type { Wallet } from "ethers";
import { createLogger } from "../../../src/log";
import { type RunningVenue, startVenue, type VenueOptions } from "../../../src/venue/server/app";
import { JOURNAL_FILE } from "../../../src/venue/server/journal";
import { newTrader, v5Signer } from "../../helpers/venue";

/** 2026-01-01T00:00:00Z. */
const T0 = Date.UTC(2026, 0, 1);
const WINDOW_MS = 120_000;

let now = T0 + 1_000;
const clock = () => now;

function start(options: VenueOptions = {}): Promise<RunningVenue> {
  return startVenue({
    port: 0,
    seed: 1,
    assets: ["BTC"],
    windowMs: WINDOW_MS,
    autoTick: false,
    clock,
    ...options,
  });
}

/** Moves the clock on in 100 ms steps, running the simulation at each. */
function advance(venue: RunningVenue, ms: number): void {
  const end = now + ms;
  while (now < end) {
    now = Math.min(end, now + 100);
    venue.tick();
  }
}

interface Holder {
  wallet: Wallet;
  creds: ApiKeyCreds;
  orderIds: string[];
  tokens: string[];
}

async function get(url: string): Promise<unknown> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/** Settles a promise into its value or the venue's refusal (status and message). */
async function answer<T>(p: Promise<T>): Promise<T | { refused: unknown }> {
  try {
    return await p;
  } catch (err) {
    return { refused: (err as { status?: number }).status ?? String(err) };
  }
}

/** Everything a client can read about the venue and the holder's account, from the venue's endpoints. */
async function snapshot(venue: RunningVenue, h: Holder) {
  const client = new ClobClient({
    host: venue.urls.clob,
    chain: Chain.POLYGON,
    signer: v5Signer(h.wallet),
    creds: h.creds,
    throwOnError: true,
  });
  const state = (await get(`${venue.urls.admin}/state`)) as { body: Record<string, unknown> };
  // Where the journal is and who is connected are the only things that may differ.
  const { connections: _c, journal: _j, ...admin } = state.body;
  const markets = (admin.markets ?? []) as { tokenIds: string[]; conditionId: string; slug: string }[];
  const books: Record<string, unknown> = {};
  for (const m of markets) {
    for (const token of m.tokenIds) books[token] = await get(`${venue.urls.clob}/book?token_id=${token}`);
  }
  const info: Record<string, unknown> = {};
  for (const m of markets) info[m.slug] = await get(`${venue.urls.clob}/markets/${m.conditionId}`);
  const conditional: Record<string, unknown> = {};
  for (const token of h.tokens) {
    conditional[token] = await answer(
      client.getBalanceAllowance({ asset_type: AssetType.CONDITIONAL, token_id: token }),
    );
  }
  return {
    admin,
    submissions: await get(`${venue.urls.admin}/orders`),
    failNextTrades: await get(`${venue.urls.admin}/fail-next-trades`),
    books,
    info,
    gammaMarkets: await get(`${venue.urls.gamma}/markets`),
    gammaEvents: await get(`${venue.urls.gamma}/events`),
    openOrders: await answer(client.getOpenOrders({})),
    orders: await Promise.all(h.orderIds.map((id) => answer(client.getOrder(id)))),
    trades: await answer(client.getTrades({})),
    collateral: await answer(client.getBalanceAllowance({ asset_type: AssetType.COLLATERAL })),
    conditional,
  };
}

/** What a client of a running venue does: credentials, orders resting, filled, cancelled, a heartbeat, admin calls. */
async function trade(venue: RunningVenue): Promise<Holder> {
  const alice = await newTrader(venue);
  const engine = venue.simulation.engine;
  const market = venue.simulation.markets().find((m) => engine.marketStatus(m.conditionId) === "open");
  if (!market) throw new Error("no open market");
  const [up, down] = market.tokenIds;
  const orderIds: string[] = [];
  /** A post-only GTC order. */
  const post = async (tokenID: string, price: number, size: number, side: Side) => {
    const order = await alice.client.createOrder({ tokenID, price, size, side });
    const r = await alice.client.postOrder(order, OrderType.GTC, true, true);
    if (r.orderID) orderIds.push(r.orderID);
    return r;
  };
  const resting = await post(up, 0.05, 10, Side.BUY);
  expect(resting).toMatchObject({ success: true, status: "live" });
  const cancelled = await post(down, 0.04, 8, Side.BUY);
  expect(await alice.client.cancelOrder({ orderID: cancelled.orderID })).toMatchObject({
    canceled: [cancelled.orderID],
  });
  const ask = engine.bestAsk(up)!.price;
  const bought = await alice.client.postOrder(
    await alice.client.createOrder({ tokenID: up, price: (ask + 20_000) / 1e6, size: 12, side: Side.BUY }),
    OrderType.FAK,
    false,
    true,
  );
  expect(bought).toMatchObject({ success: true, status: "matched" });
  orderIds.push(bought.orderID);
  advance(venue, 3_000); // the trade is MINED: its shares can be sold
  const selling = await post(up, 0.97, 6, Side.SELL);
  expect(selling).toMatchObject({ success: true, status: "live" });
  // A batch, and a heartbeat (the venue cancels the key's orders if they stop).
  const batch = await alice.client.postOrders(
    [
      {
        order: await alice.client.createOrder({ tokenID: down, price: 0.03, size: 5, side: Side.BUY }),
        orderType: OrderType.GTC,
      },
      {
        order: await alice.client.createOrder({ tokenID: down, price: 0.02, size: 2, side: Side.BUY }),
        orderType: OrderType.GTC,
      },
    ],
    true,
    true,
  );
  for (const r of batch) if (r.orderID) orderIds.push(r.orderID);
  await alice.client.postHeartbeat();
  const admin = (p: string, body: object) =>
    fetch(`${venue.urls.admin}${p}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  expect((await admin("/fund", { address: alice.wallet.address, amount: "12.5" })).status).toBe(200);
  expect((await admin("/fail-next-trades", { count: 2 })).status).toBe(200);
  return { wallet: alice.wallet, creds: alice.creds, orderIds, tokens: [up, down] };
}

describe("the venue's state across a restart", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "ballast-venue-"));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("comes back as it was and goes on as it would have; without its journal it does not", async () => {
    const dir = path.join(root, "a");
    const copy = path.join(root, "copy");
    const crash = path.join(root, "crash");
    now = T0 + 1_000;
    const a = await start({ dataDir: dir });
    advance(a, 5_000);
    const alice = await trade(a);
    const t1 = now;
    const s1 = await snapshot(a, alice);
    // What a venue stopped here would leave behind (A's journal as it stands).
    mkdirSync(copy);
    copyFileSync(path.join(dir, JOURNAL_FILE), path.join(copy, JOURNAL_FILE));
    expect(s1.openOrders).toHaveLength(3);
    expect((s1.trades as unknown[]).length).toBe(1);
    expect(s1.failNextTrades).toEqual({ status: 200, body: { failing: 2 } });

    // A runs on with no request; what a crash right after the venue journals how far it has stepped
    // (every simulated second) leaves behind.
    const last = () => {
      const lines = readFileSync(path.join(dir, JOURNAL_FILE), "utf8").trimEnd().split("\n");
      return JSON.parse(lines[lines.length - 1]!) as { op: string; t: number };
    };
    advance(a, 3_000);
    for (let i = 0; i < 20 && !(last().op === "mark" && last().t === now); i++) advance(a, 100);
    expect(last()).toEqual({ op: "mark", t: now });
    const tc = now;
    const sc = await snapshot(a, alice);
    mkdirSync(crash);
    copyFileSync(path.join(dir, JOURNAL_FILE), path.join(crash, JOURNAL_FILE));
    expect(sc).not.toEqual(s1);

    // A goes on: the window ends and resolves (Alice's shares pay out), her heartbeat lapses.
    const market = a.simulation.markets().find((m) => m.tokenIds[0] === alice.tokens[0])!;
    const t2 = market.endMs + 15_000;
    advance(a, t2 - now);
    const s2 = await snapshot(a, alice);
    expect(a.simulation.engine.marketStatus(market.conditionId)).toBe("resolved");
    expect(s2.openOrders).toEqual([]);
    expect(s2).not.toEqual(s1);
    await a.close();

    // A venue started on the journal as it stood at t1 answers as A did then, and goes on as A did.
    now = t1;
    const b = await start({ dataDir: copy });
    expect(await snapshot(b, alice)).toEqual(s1);
    advance(b, t2 - t1);
    expect(await snapshot(b, alice)).toEqual(s2);
    await b.close();

    // Killed at tc: a venue started then has the market as it was at tc (replayed up to the last mark).
    now = tc;
    const c = await start({ dataDir: crash });
    expect(await snapshot(c, alice)).toEqual(sc);
    await c.close();

    // Stopped and started again on the same data directory, at t2: as A was when it stopped.
    now = t2;
    const a2 = await start({ dataDir: dir });
    expect(await snapshot(a2, alice)).toEqual(s2);
    await a2.close();

    // Without its journal, a venue at t1 knows nothing of Alice and runs another market.
    now = t1;
    const fresh = await start({ dataDir: path.join(root, "empty") });
    const s0 = await snapshot(fresh, alice);
    await fresh.close();
    expect(s0.openOrders).toEqual({ refused: 401 });
    expect(s0.submissions).toEqual({ status: 200, body: { orders: [] } });
    expect(s0.books).not.toEqual(s1.books);
  });

  it("starts a clean data directory as a venue without one: the same market", async () => {
    now = T0 + 1_000;
    const kept = await start({ dataDir: path.join(root, "clean") });
    const plain = await start();
    const read = snapshotPublic;
    for (let i = 0; i < 3; i++) {
      const until = now + 20_000;
      while (now < until) {
        now += 100;
        kept.tick();
        plain.tick();
      }
      expect(await read(kept)).toEqual(await read(plain));
    }
    await kept.close();
    await plain.close();
  });

  it("skips a damaged last line with a warning, and refuses a damaged middle or other settings", async () => {
    const dir = path.join(root, "damaged");
    now = T0 + 1_000;
    const a = await start({ dataDir: dir });
    advance(a, 3_000);
    const alice = await trade(a);
    const before = await snapshot(a, alice);
    await a.close();
    const file = path.join(dir, JOURNAL_FILE);
    const good = readFileSync(file, "utf8");

    // A line cut short by a crash: skipped, with a one-line warning; the state is as it was.
    appendFileSync(file, '{"op":"cancel-all","t":');
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", destination: { write: (s: string) => lines.push(s) } });
    const b = await start({ dataDir: dir, logger });
    expect(await snapshot(b, alice)).toEqual(before);
    await b.close();
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(
          /^venue journal .*journal\.jsonl: the last line \(\d+\) is cut short or corrupt .*; skipping it$/,
        ),
      }),
    ]);
    // The damaged line is gone from the file: what b appended starts on a line of its own.
    const repaired = readFileSync(file, "utf8");
    expect(repaired.startsWith(good)).toBe(true);
    expect(
      repaired
        .split("\n")
        .slice(0, -1)
        .every((l) => JSON.parse(l) !== undefined),
    ).toBe(true);

    // A damaged line with entries after it: refused.
    const damaged = good.split("\n");
    damaged[3] = "{not json";
    writeFileSync(file, damaged.join("\n"));
    await expect(start({ dataDir: dir })).rejects.toThrow(
      /^venue journal .*: line 4 is not JSON, and entries follow it: refusing to replay a damaged journal/,
    );

    // Written by a venue with another seed and window: refused, naming both.
    writeFileSync(file, good);
    await expect(start({ dataDir: dir, seed: 2, windowMs: 300_000 })).rejects.toThrow(
      /was written with seed=1 windowMs=120000 but this venue has seed=2 windowMs=300000: refusing to replay it/,
    );
    // And nothing was changed by the refusals: the right venue still starts on it.
    expect(readFileSync(file, "utf8")).toBe(good);
    const c = await start({ dataDir: dir });
    expect(await snapshot(c, alice)).toEqual(before);
    // One venue per data directory.
    await expect(start({ dataDir: dir })).rejects.toThrow(/journal\.jsonl is in use by process \d+/);
    await c.close();
  });
});

/** The public part of a snapshot (no account). */
async function snapshotPublic(venue: RunningVenue) {
  const state = (await get(`${venue.urls.admin}/state`)) as { body: Record<string, unknown> };
  const { connections: _c, journal: _j, ...admin } = state.body;
  const markets = (admin.markets ?? []) as { tokenIds: string[]; conditionId: string; slug: string }[];
  const books: Record<string, unknown> = {};
  const info: Record<string, unknown> = {};
  for (const m of markets) {
    for (const token of m.tokenIds) books[token] = await get(`${venue.urls.clob}/book?token_id=${token}`);
    info[m.slug] = await get(`${venue.urls.clob}/markets/${m.conditionId}`);
  }
  return { admin, books, info, gammaMarkets: await get(`${venue.urls.gamma}/markets`) };
}
