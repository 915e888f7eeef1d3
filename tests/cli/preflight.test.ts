/**
 * `ballast start` checks what it needs before it starts anything (src/cli/preflight.ts): every
 * problem at once, on one line.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkDatabase, PreflightError, preflight } from "../../src/cli/preflight";

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve({ server, port: typeof a === "object" && a ? a.port : 0 });
    });
  });
}

describe("preflight", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ballast-preflight-"));

  it("passes when the ports are free and the data directory is writable", async () => {
    const { server, port } = await listen();
    await new Promise((r) => server.close(r));
    await expect(
      preflight({ dataDir, listen: [{ host: "127.0.0.1", port, what: "venue" }] }),
    ).resolves.toBeUndefined();
  });

  it("names every problem on one line: a port in use, an unreachable database, a data directory that is a file", async () => {
    const { server, port } = await listen();
    const notADir = path.join(dataDir, "file");
    writeFileSync(notADir, "");
    try {
      const err: PreflightError = await preflight({
        dataDir: notADir,
        listen: [{ host: "127.0.0.1", port, what: "Temporal, TEMPORAL_ADDRESS" }],
        databaseUrl: "postgres://me:pw-secret@127.0.0.1:1/db",
      }).catch((e) => e);
      expect(err).toBeInstanceOf(PreflightError);
      expect(err.problems).toEqual([
        expect.stringMatching(new RegExp(`^the data directory ${notADir} is not writable: .*EEXIST`)),
        `127.0.0.1:${port} (Temporal, TEMPORAL_ADDRESS) is in use`,
        expect.stringMatching(
          /^DATABASE_URL postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/db is not usable: .*ECONNREFUSED/,
        ),
      ]);
      expect(err.message).not.toContain("\n");
      expect(err.message).not.toContain("pw-secret");
      expect(err.message).toBe(`cannot start: ${err.problems.join("; ")}`);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("refuses two parts set to the same port", async () => {
    await expect(
      preflight({
        dataDir,
        listen: [
          { host: "127.0.0.1", port: 7788, what: "venue simulator, CLOB_URL" },
          { host: "127.0.0.1", port: 7788, what: "Temporal Web UI, --ui-port" },
        ],
      }),
    ).rejects.toThrow(
      "cannot start: Temporal Web UI, --ui-port and venue simulator, CLOB_URL are both set to 127.0.0.1:7788",
    );
  });

  it("checkDatabase: a URL that is not one is a one-line problem too", async () => {
    await expect(checkDatabase("postgres://me:pw@127.0.0.1:notaport/db")).rejects.toThrow(
      /^DATABASE_URL .* is not usable: /,
    );
  });
});
