/**
 * Logs a person can read (issue 11): the log format a process picks (`--log-format`, LOG_FORMAT, a
 * terminal or not), a child's JSON line rendered pretty with its process name, secrets kept out of
 * pretty lines, a live status area that a log line never leaves half drawn, JSON-only stdout in the
 * json format, and the dashboard's numbers at a person's precision.
 */
import { Writable } from "node:stream";
import { forwardChildLines, type MarketStatus, Screen, statusFields, statusText } from "../../src/cli/screen";
import { ConfigError, loadConfig, secretValues } from "../../src/config/load";
import { chooseLogFormat, createLogger, prettyLogLine, REDACTED, renderLogLine } from "../../src/log";
import type { PositionView, SessionView } from "../../workflows/views";

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, "g");

const PRIVATE_KEY = `0x${"7f".repeat(32)}`;
const PASSPHRASE = "correct-horse-battery";

/** A worker's log line as its pino logger writes it. */
const WORKER_LINE = JSON.stringify({
  level: 40,
  time: "2026-03-01T10:00:00.250Z",
  name: "worker",
  component: "temporal",
  msg: "activity failed, retrying",
  attempt: 2,
});

function sink(isTTY = false, into: string[] = []) {
  const stream = new Writable({
    write(chunk, _enc, done) {
      into.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY, columns: 120, rows: 40 });
  return { stream, chunks: into };
}

/**
 * A terminal as far as log-update and our writes need one: text overwrites at the cursor, "\n" goes to
 * the start of the next line, and the escapes for cursor up, column, erase line; colours are ignored.
 * Returns the lines on screen.
 */
function terminal(output: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const current = (): string[] => {
    while (lines.length <= row) lines.push([]);
    return lines[row] as string[];
  };
  for (let i = 0; i < output.length; i++) {
    const ch = output[i] as string;
    if (ch === ESC && output[i + 1] === "[") {
      const m = /^\[([0-9;?]*)([A-Za-z])/.exec(output.slice(i + 1));
      if (!m) throw new Error(`unknown escape at ${i}`);
      i += m[0].length;
      const n = Number(m[1]?.replace("?", "") || "0");
      const line = current();
      switch (m[2]) {
        case "A":
          row = Math.max(0, row - (n || 1));
          break;
        case "G":
          col = Math.max(0, (n || 1) - 1);
          break;
        case "K":
          if (n === 2) lines[row] = [];
          else line.length = Math.min(line.length, col);
          break;
        case "h":
        case "l":
        case "m":
          break;
        default:
          throw new Error(`escape ${m[0]} not emulated`);
      }
      continue;
    }
    if (ch === "\n") {
      row++;
      col = 0;
      current();
      continue;
    }
    if (ch === "\r") {
      col = 0;
      continue;
    }
    const line = current();
    while (line.length < col) line.push(" ");
    line[col++] = ch;
  }
  const text = lines.map((l) => (l ?? []).join("").trimEnd());
  while (text.length > 0 && text[text.length - 1] === "") text.pop();
  return text;
}

describe("the log format", () => {
  it("is pretty on a terminal and JSON on a pipe; LOG_FORMAT and then --log-format override that", () => {
    expect(chooseLogFormat({ isTTY: true })).toBe("pretty");
    expect(chooseLogFormat({ isTTY: false })).toBe("json");
    expect(chooseLogFormat({ isTTY: undefined })).toBe("json");
    expect(chooseLogFormat({ isTTY: true, configured: "json" })).toBe("json");
    expect(chooseLogFormat({ isTTY: false, configured: "pretty" })).toBe("pretty");
    expect(chooseLogFormat({ isTTY: true, flag: "json" })).toBe("json");
    expect(chooseLogFormat({ isTTY: false, flag: "pretty" })).toBe("pretty");
    expect(chooseLogFormat({ isTTY: false, configured: "json", flag: "pretty" })).toBe("pretty");
    expect(() => chooseLogFormat({ isTTY: true, flag: "xml" })).toThrow(
      /--log-format must be pretty or json/,
    );
  });

  it("reads LOG_FORMAT into the configuration, and refuses anything but pretty or json", () => {
    expect(loadConfig({ env: {} }).log.format).toBeUndefined();
    expect(loadConfig({ env: { LOG_FORMAT: "json" } }).log.format).toBe("json");
    expect(loadConfig({ env: { LOG_FORMAT: "pretty" } }).log.format).toBe("pretty");
    expect(() => loadConfig({ env: { LOG_FORMAT: "xml" } })).toThrow(ConfigError);
  });
});

describe("a worker's JSON line, pretty", () => {
  it("shows time, level, process name, message and the other fields on one line", () => {
    const line = prettyLogLine(WORKER_LINE);
    expect(line).toMatch(
      /^\[\d\d:\d\d:\d\d\.250\] WARN \(worker\): activity failed, retrying \{"component":"temporal","attempt":2\}$/,
    );
    expect(line).not.toContain(ESC);
  });

  it("names the process it came from when the record does not; colours only when asked", () => {
    const anonymous = JSON.stringify({ level: 50, time: 0, msg: "feed stalled" });
    expect(prettyLogLine(anonymous, { name: "streamer" })).toMatch(/ ERROR \(streamer\): feed stalled$/);
    expect(prettyLogLine(WORKER_LINE, { name: "streamer" })).toContain("(worker)");
    const coloured = prettyLogLine(WORKER_LINE, { colorize: true });
    expect(coloured).toContain(ESC);
    expect(coloured.replace(ANSI, "")).toBe(prettyLogLine(WORKER_LINE));
  });

  it("leaves a line that is not a JSON object as it is", () => {
    for (const raw of ["node:internal/process/warning: something", "42", "[1,2]", "{not json"])
      expect(prettyLogLine(raw, { name: "worker" })).toBe(raw);
    expect(renderLogLine(`${WORKER_LINE}\n`, "json")).toBe(WORKER_LINE);
  });
});

describe("secrets in pretty lines", () => {
  it("a pretty logger censors secret fields and values as the JSON one does", () => {
    const out: string[] = [];
    const config = loadConfig({ env: { POLY_PRIVATE_KEY: PRIVATE_KEY, POLY_PASSPHRASE: PASSPHRASE } });
    const logger = createLogger({
      level: "trace",
      secrets: secretValues(config),
      format: "pretty",
      destination: sink(false, out).stream,
    });
    logger.info({ privateKey: PRIVATE_KEY }, "wallet loaded");
    logger.warn(`signing failed for ${PRIVATE_KEY}`);
    logger.error({ err: new Error(`auth rejected with passphrase ${PASSPHRASE}`) }, "user channel");
    const all = out.join("");
    expect(all).toMatch(/^\[[\d:.]+\] INFO: wallet loaded \{"privateKey":"\[REDACTED\]"\}\n/);
    expect(all).toContain(REDACTED);
    for (const secret of [PRIVATE_KEY, PRIVATE_KEY.slice(2), PASSPHRASE]) expect(all).not.toContain(secret);
    expect(out.some((l) => l.startsWith("{"))).toBe(false);
  });

  it("a child's line is scrubbed of the stack's secrets (the paper key too) before it is shown", () => {
    for (const logFormat of ["pretty", "json"] as const) {
      const err: string[] = [];
      const screen = new Screen({ stdout: sink().stream, stderr: sink(false, err).stream, logFormat });
      const forward = forwardChildLines(screen, "worker", [PRIVATE_KEY]);
      forward(JSON.stringify({ level: 50, time: 0, msg: `cannot sign with ${PRIVATE_KEY}` }));
      forward(`Error: bad key ${PRIVATE_KEY}`);
      expect(err.join("")).not.toContain(PRIVATE_KEY);
      expect(err).toHaveLength(2);
      expect(err[1]).toBe(`Error: bad key ${REDACTED}\n`);
      if (logFormat === "pretty")
        expect(err[0]).toMatch(/ ERROR \(worker\): cannot sign with \[REDACTED\]\n$/);
      else
        expect(JSON.parse(err[0] as string)).toEqual({
          level: 50,
          time: 0,
          msg: `cannot sign with ${REDACTED}`,
        });
    }
  });
});

describe("the live status on a terminal", () => {
  it("a log line, a notice or a printed line appears above the status; the status is never left half drawn", () => {
    const term: string[] = [];
    const screen = new Screen({
      stdout: sink(true, term).stream,
      stderr: sink(true, term).stream,
      logFormat: "pretty",
      colorize: false,
    });
    const pretty = prettyLogLine(WORKER_LINE);
    screen.live("BTC  btc-updown-15m-1  positions 1\nETH  eth-updown-15m-1  positions 0");
    screen.log(WORKER_LINE, "worker");
    // The moment after the log line: the line, then the whole status below it.
    expect(terminal(term.join(""))).toEqual([
      pretty,
      "BTC  btc-updown-15m-1  positions 1",
      "ETH  eth-updown-15m-1  positions 0",
    ]);
    screen.live("BTC  btc-updown-15m-1  positions 2\nETH  eth-updown-15m-1  positions 1");
    screen.notice("ballast: the workflow worker is running again (pid 42)");
    screen.print("resolved btc-updown-15m-1: Up won, 2 position(s), P&L $0.44");
    screen.log("a line that is not JSON", "streamer");
    screen.live("BTC  btc-updown-15m-2  positions 0");
    expect(terminal(term.join(""))).toEqual([
      pretty,
      "ballast: the workflow worker is running again (pid 42)",
      "resolved btc-updown-15m-1: Up won, 2 position(s), P&L $0.44",
      "a line that is not JSON",
      "BTC  btc-updown-15m-2  positions 0",
    ]);
    // Once the live area has ended, its last state stays and later lines go below it.
    screen.endLive();
    screen.notice("ballast: stopping (SIGINT)…");
    expect(terminal(term.join("")).slice(-2)).toEqual([
      "BTC  btc-updown-15m-2  positions 0",
      "ballast: stopping (SIGINT)…",
    ]);
  });
});

describe("off a terminal", () => {
  it("in the json format stdout holds JSON lines only, and log lines stay JSON", () => {
    const out = sink();
    const err = sink();
    const screen = new Screen({ stdout: out.stream, stderr: err.stream, plainEveryMs: 0, logFormat: "json" });
    screen.output("Ballast running: …", () => JSON.stringify({ msg: "Ballast running" }));
    screen.live("BTC …", () => JSON.stringify({ msg: "status" }));
    screen.live("a dashboard with no JSON form");
    screen.log(WORKER_LINE, "worker");
    expect(out.chunks.map((c) => JSON.parse(c))).toEqual([{ msg: "Ballast running" }, { msg: "status" }]);
    expect(err.chunks).toEqual([`${WORKER_LINE}\n`]);
  });

  it("in the pretty format stdout holds the text, and log lines are pretty", () => {
    const out = sink();
    const err = sink();
    const screen = new Screen({
      stdout: out.stream,
      stderr: err.stream,
      plainEveryMs: 0,
      logFormat: "pretty",
    });
    screen.output("Ballast running: …", () => "{}");
    screen.live("BTC …", () => "{}");
    screen.log(WORKER_LINE, "worker");
    expect(out.chunks).toEqual(["Ballast running: …\n", "BTC …\n"]);
    expect(err.chunks).toEqual([`${prettyLogLine(WORKER_LINE)}\n`]);
  });
});

describe("the dashboard's numbers", () => {
  const session: SessionView = {
    slug: "btc-updown-15m-1767261600",
    asset: "BTC",
    startMs: Date.parse("2026-01-01T10:00:00Z"),
    endMs: Date.parse("2026-01-01T10:15:00Z"),
    halted: false,
    positionsStarted: 2,
    openPositions: ["p1", "p2"],
    lastBookSeq: 7,
    bestAsks: { up: 515_000, down: 470_000 },
    runsSoFar: 0,
  };
  const position = (p: Partial<PositionView>): PositionView => ({
    positionId: "p",
    slug: session.slug,
    asset: "BTC",
    phase: "BALANCED",
    halted: false,
    upShares: 0,
    downShares: 0,
    netCost: 0,
    hedgeRatio: 1,
    guaranteedPnl: 0,
    rebalanceTrades: 0,
    orders: 0,
    openOrders: 0,
    bufferedFills: 0,
    ...p,
  });
  const markets: MarketStatus[] = [
    {
      session,
      positions: [
        position({
          upShares: 25_123_456,
          downShares: 20_000_000,
          netCost: 22_111_111,
          hedgeRatio: 0.79608,
          guaranteedPnl: 221_105,
        }),
        position({ upShares: 5_000_000, downShares: 5_000_000, netCost: 4_900_000, guaranteedPnl: 100_000 }),
      ],
    },
  ];

  it("shows dollars in cents, prices to the tick, shares to 2 decimals", () => {
    expect(statusText(markets)).toBe(
      "BTC  btc-updown-15m-1767261600    10:00–10:15  asks 0.515/0.47  positions 2 (open 2)  shares 30.12/25.00  cost $27.01  hedge 0.80 1.00  guaranteed P&L $0.32",
    );
    expect(statusText([])).toBe("waiting for the first market window…");
  });

  it("keeps the exact amounts in the JSON form", () => {
    expect(statusFields(markets).markets[0]).toMatchObject({
      slug: session.slug,
      bestAsks: { up: "0.515", down: "0.47" },
      upShares: "30.123456",
      downShares: "25",
      cost: "27.011111",
      guaranteedPnl: "0.321105",
      openPositions: 2,
    });
  });
});
