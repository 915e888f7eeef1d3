/**
 * Child process of bench/latency.ts: the embedded PostgreSQL (PGlite, in memory) served on a loopback
 * port. PGlite runs on the JavaScript thread of whatever process hosts it; kept out of the bench
 * process, its queries never hold up the venue simulator whose clock the bench reads.
 * Sends { url } to the parent once ready; closes and exits when told to ("close"), on SIGTERM/SIGINT,
 * or when the parent goes away.
 */
import { openDatabase } from "../src/db/database";

async function main() {
  const db = await openDatabase({ dataDir: "memory://", port: 0 });
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await db.close().catch(() => undefined);
    process.exit(0);
  };
  process.on("message", (m) => {
    if (m === "close") void close();
  });
  process.on("disconnect", () => void close());
  process.on("SIGTERM", () => void close());
  process.on("SIGINT", () => void close());
  process.send?.({ url: db.url });
}

main().catch((err) => {
  console.error(`latency-db: ${(err as Error).message}`);
  process.exit(1);
});
