import { Writable } from "node:stream";
import { loadConfig, secretValues } from "../../src/config/load";
import { createLogger, REDACTED } from "../../src/log";
import { PinoTemporalLogger } from "../../workers/runtime";

const PRIVATE_KEY = `0x${"7f".repeat(32)}`;
const API_SECRET = "c2VjcmV0LXZhbHVlLWZvci10ZXN0cw==";
const PASSPHRASE = "correct-horse-battery";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const config = loadConfig({
    env: {
      POLY_PRIVATE_KEY: PRIVATE_KEY,
      POLY_API_SECRET: API_SECRET,
      POLY_PASSPHRASE: PASSPHRASE,
      POLY_API_KEY: "key-1",
    },
  });
  const logger = createLogger({ level: "trace", secrets: secretValues(config), destination });
  return { lines, logger };
}

describe("secrets never reach a log line", () => {
  it("censors secret fields and secret values wherever they appear", () => {
    const { lines, logger } = capture();
    logger.info({ privateKey: PRIVATE_KEY }, "wallet loaded");
    logger.info({ creds: { key: "key-1", secret: API_SECRET, passphrase: PASSPHRASE } }, "api creds derived");
    logger.info({ headers: { POLY_PASSPHRASE: PASSPHRASE, POLY_API_KEY: "key-1" } }, "request");
    logger.warn(`signing failed for ${PRIVATE_KEY}`);
    logger.error({ err: new Error(`auth rejected with passphrase ${PASSPHRASE}`) }, "user channel");
    logger.debug({ subscribe: JSON.stringify({ auth: { secret: API_SECRET } }) }, "ws subscribe");
    logger.child({ session: { apiSecret: API_SECRET } }).info("child logger");
    new PinoTemporalLogger(logger).info("from a workflow", { leaked: PASSPHRASE });

    expect(lines).toHaveLength(8);
    const all = lines.join("\n");
    for (const secret of [PRIVATE_KEY, API_SECRET, PASSPHRASE, PRIVATE_KEY.slice(2)]) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain(REDACTED);
    // What is not secret stays readable.
    expect(lines[0]).toContain("wallet loaded");
    expect(JSON.parse(lines[7] as string)).toMatchObject({ msg: "from a workflow", leaked: REDACTED });
  });
});
