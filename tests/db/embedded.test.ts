import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { openDatabase } from "../../src/db/database";

describe("embedded database (PGlite over the Postgres wire protocol)", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ballast-pglite-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves plain pg clients on loopback and persists across restarts", async () => {
    const first = await openDatabase({ dataDir: dir });
    expect(first.kind).toBe("embedded");
    expect(first.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
    // Any pg client (not only our pool) can connect: it is the wire protocol.
    const client = new Client({ connectionString: first.url });
    await client.connect();
    await client.query(
      "INSERT INTO orders (id, market, token_id, side, price, size, order_type, status) VALUES ('0xfeed', 'm', 't', 'BUY', '0.51', '5', 'GTC', 'LIVE')",
    );
    await client.end();
    await first.close();

    const second = await openDatabase({ dataDir: dir });
    const { rows } = await second.pool.query("SELECT price, size FROM orders WHERE id = '0xfeed'");
    expect(rows).toEqual([{ price: "0.510000", size: "5.000000" }]);
    await second.close();
  });

  it("explains a database it cannot reach without leaking the password", async () => {
    await expect(
      openDatabase({ url: "postgres://ballast:hunter2secret@127.0.0.1:1/nowhere", migrate: false }),
    ).rejects.toThrow(/cannot use the database at postgres:\/\/ballast:\*\*\*@127\.0\.0\.1:1\/nowhere/);
  });
});
