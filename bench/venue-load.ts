/**
 * Load generator for bench/venue.ts, run in its own process so that it does not share the
 * venue's event loop. Modes:
 *   subscribe <wsMarketUrl> <seconds> <tokenIds,...>  count market-channel frames received
 *   orders <clobUrl> <count> <concurrency>           post pre-signed orders with the real client
 */
import { Chain, ClobClient, OrderType, Side, type SignedOrder } from "@polymarket/clob-client-v2";
import { Wallet } from "ethers";
import { build } from "hdr-histogram-js";
import WebSocket from "ws";

function reply(msg: object): void {
  process.send?.(msg);
}

async function subscribe(url: string, seconds: number, tokens: string[]) {
  const ws = new WebSocket(url);
  await new Promise((r) => ws.once("open", r));
  ws.send(JSON.stringify({ assets_ids: tokens, type: "market", custom_feature_enabled: true }));
  let frames = 0;
  let bytes = 0;
  ws.on("message", (data: Buffer) => {
    frames += 1;
    bytes += data.length;
  });
  reply({ ready: true });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  ws.close();
  reply({ frames, bytes, seconds });
}

async function orders(url: string, count: number, concurrency: number, tokenId: string) {
  const wallet = Wallet.createRandom();
  const signer = {
    getAddress: async () => wallet.address,
    _signTypedData: (d: object, t: object, v: object) =>
      wallet.signTypedData(d as never, t as never, v as never),
  } as never;
  const creds = await new ClobClient({
    host: url,
    chain: Chain.POLYGON,
    signer,
    throwOnError: true,
  }).deriveApiKey();
  const client = new ClobClient({ host: url, chain: Chain.POLYGON, signer, creds, throwOnError: true });
  // Sign first: signing is the client's cost, not the venue's.
  const signed: SignedOrder[] = [];
  for (let i = 0; i < count; i++) {
    const price = 0.01 + (i % 9) * 0.01;
    signed.push(await client.createOrder({ tokenID: tokenId, price, size: 5, side: Side.BUY }));
  }
  const histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < signed.length) {
        const order = signed[next++] as SignedOrder;
        const t = performance.now();
        try {
          const r = await client.postOrder(order, OrderType.GTC, true, true);
          if (!r.success) failed += 1;
        } catch {
          failed += 1;
        }
        histogram.recordValue(Math.round((performance.now() - t) * 1000));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  reply({
    count,
    failed,
    seconds,
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
  });
}

const [mode, url, a, b, c] = process.argv.slice(2);
const run =
  mode === "subscribe"
    ? subscribe(url as string, Number(a), (b ?? "").split(","))
    : orders(url as string, Number(a), Number(b), c as string);
run
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
