/**
 * A position's page in the Temporal Web UI reads as a person reads money (issue 11). The dev server with
 * its UI (as `npm start` runs it), a worker as the real one is made (Ballast's payload converter in the
 * bundle and in the data converter) with mocked activities, one position run to resolution; then its page
 * in headless Chromium (Debian's `chromium`, driven by playwright-core):
 * - the input and the result show dollars and shares as decimal text ("pnl": "0.918290"), never the micros;
 * - the static summary and the current details show dollars to the cent and shares to two decimals.
 * The history it recorded replays with the converter (scripts/replay-histories.ts).
 *
 * Screenshots and the text read are left in the temporary directory: ballast-web-ui-position.png (the
 * page), ballast-web-ui-position-metadata.png (its User Metadata tab), and the same names in .txt.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import { formatUsd } from "../../src/money";
import { detectOpportunity } from "../../src/strategy/arbitrage";
import { positionSummary } from "../../src/strategy/arbitrage/summary";
import { temporalCliPath } from "../../src/temporal/binaries";
import { type RunningDevServer, startDevServer } from "../../src/temporal/dev-server";
import { microsToText } from "../../src/temporal/payload-converter";
import { installTemporalRuntime } from "../../workers/runtime";
import { position } from "../../workflows";
import type { PositionInput, PositionResult } from "../../workflows/position";
import { BALLAST_DATA_CONVERTER, ballastWorkerCode } from "../helpers/temporal";
import { MARKET, MockVenue, snapshot, top } from "../workflows/harness";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT = path.join(os.tmpdir(), "ballast-web-ui-position");
const ROOT = path.resolve(__dirname, "..", "..");
const TASK_QUEUE = "web-ui";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The page's text as a person sees it: its own, every line of its code editors (CodeMirror draws lines
 * lazily), and its frames' (the UI renders Markdown, the summary and details, in sandboxed iframes).
 */
async function pageText(page: Page): Promise<string> {
  const parts: string[] = [];
  for (const frame of page.frames()) {
    const body = frame.locator("body");
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text (with its line breaks) is what a person reads
    parts.push(await body.innerText().catch(() => ""));
    parts.push(
      ...(await frame
        .locator(".cm-line")
        .allTextContents()
        .catch(() => [])),
    );
  }
  return parts.join("\n");
}

/** Waits for a text on the page, then leaves a screenshot and the text read (on failure too: to look at). */
async function read(page: Page, waitFor: string, name: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  let text = "";
  try {
    for (;;) {
      text = await pageText(page);
      if (text.includes(waitFor)) return text;
      if (Date.now() > deadline) throw new Error(`the page did not show ${JSON.stringify(waitFor)} in 30 s`);
      await page.waitForTimeout(250);
    }
  } finally {
    writeFileSync(`${name}.txt`, text);
    await page.screenshot({ path: `${name}.png`, fullPage: true }).catch(() => undefined);
  }
}

/** True when `n` appears as a bare number: not inside a longer number, nor after a decimal point. */
const bare = (text: string, n: number) => new RegExp(`(?<![\\d.])${n}(?![\\d.])`).test(text);

/** What the Web UI shows of Markdown text: the escaped dollar signs as dollar signs. */
const rendered = (markdown: string) => markdown.replace(/\\\$/g, "$");

let dir: string;
let server: RunningDevServer | undefined;
let browser: BrowserContext | undefined;

beforeAll(() => {
  installTemporalRuntime(createLogger({ level: "error" }));
  dir = mkdtempSync(path.join(os.tmpdir(), "ballast-web-ui-"));
});
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("shows a position's money as decimals: input and result, summary and details", async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium; .ci/run does)`,
    );
  }
  server = await startDevServer({
    dataDir: path.join(dir, "temporal"),
    port: await freePort(),
    uiPort: await freePort(),
  });

  // A position with known money: the opening book of tests/workflows/position.test.ts, a $20 budget.
  const params = { ...loadConfig({ env: {} }).arbitrage, budgetPerTrade: 20_000_000 };
  const opening = snapshot(1, top([[0.44, 50]], [[0.45, 50]]), top([[0.46, 50]], [[0.47, 50]]));
  const rules = { tickSize: 10_000, minOrderSize: MARKET.minOrderSize, feeRate: 70_000, feeExponent: 1 };
  const opportunity = detectOpportunity(opening, rules, params);
  if (!opportunity) throw new Error("the opening book should be an opportunity");
  const now = Date.now();
  const positionId = `position-web-ui-${now}`;
  const input: PositionInput = {
    positionId,
    sessionWorkflowId: "session-web-ui",
    // The window ends in 3 s: the position executes both legs, holds them, then resolves (Down wins).
    market: { ...MARKET, startMs: now, endMs: now + 3_000 },
    opportunity,
    book: opening,
    detectedAtMs: now,
    params,
  };
  const summary = positionSummary(MARKET.asset, opportunity);
  const venue = new MockVenue();
  venue.winner = "DOWN";

  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter: BALLAST_DATA_CONVERTER });
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: native,
    taskQueue: TASK_QUEUE,
    ...(await ballastWorkerCode()),
    activities: venue.activities(),
  });
  const uiUrl = server.uiUrl;

  // The worker runs throughout: the page's current details are a query it answers.
  const story = async () => {
    const result: PositionResult = await client.workflow.execute(position, {
      taskQueue: TASK_QUEUE,
      workflowId: positionId,
      args: [input],
      staticSummary: summary,
    });
    expect(result.phase).toBe("RESOLVED");
    const pnl = result.pnl!;
    // Exact micros inside: the client and the activities read the decimal text back into the same integers.
    expect(Number.isSafeInteger(pnl)).toBe(true);
    const resolution = venue.named("resolvePosition")[0]?.args[0];
    expect(resolution).toMatchObject({ actualProfit: pnl, finalYesShares: result.upShares });

    // The history holds decimal text (as `temporal workflow show` prints it), and replays with the converter.
    const exported = path.join(dir, "position-web-ui.json");
    const shown = spawnSync(
      temporalCliPath(),
      ["workflow", "show", "--address", server!.address, "--workflow-id", positionId, "--output", "json"],
      { encoding: "utf8" },
    );
    expect(shown.status).toBe(0);
    writeFileSync(exported, shown.stdout);
    const completed = JSON.parse(shown.stdout).events.at(-1).workflowExecutionCompletedEventAttributes;
    const resultJson = JSON.parse(Buffer.from(completed.result.payloads[0].data, "base64").toString("utf8"));
    expect(resultJson).toMatchObject({ pnl: microsToText(pnl), upShares: microsToText(result.upShares) });
    const replay = spawnSync(
      process.execPath,
      ["--require", "tsx/cjs", path.join(ROOT, "scripts", "replay-histories.ts"), exported],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(replay.stdout).toMatch(/replayed position-web-ui\.json: \d+ events, deterministic/);

    // The position's page in headless Chromium.
    browser = await chromium.launchPersistentContext(path.join(dir, "chromium-profile"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 2400 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`${uiUrl}/namespaces/default/workflows/${positionId}`, { waitUntil: "load" });

    // Its input and result: money as decimal text, never the raw micros.
    const main = await read(page, `"pnl": "${microsToText(pnl)}"`, OUT);
    expect(main).toContain(`"upShares": "${microsToText(result.upShares)}"`);
    expect(main).toContain(`"downShares": "${microsToText(result.downShares)}"`);
    expect(main).toContain(`"tickSize": "${microsToText(MARKET.tickSize)}"`);
    expect(main).toContain(`"upLimitPrice": "${microsToText(opportunity.upLimitPrice)}"`);
    for (const n of [
      pnl,
      result.upShares,
      result.downShares,
      opportunity.upShares,
      opportunity.upLimitPrice,
    ]) {
      expect({ micros: n, bare: bare(main, n) }).toEqual({ micros: n, bare: false });
    }
    // What is not money stays a number.
    expect(main).toContain('"rebalanceTrades": 0');
    expect(main).toContain('"feeExponent": 1');

    // Its User Metadata: the static summary and the current details, dollars to the cent, shares to 2 places.
    await page.getByText("User Metadata", { exact: true }).first().click();
    // The current details come from a query the worker answers: wait for them (the summary is there first).
    const metadata = await read(page, `DOWN won: P&L ${formatUsd(pnl)}`, `${OUT}-metadata`);
    expect(metadata).toContain(rendered(summary));
    expect(metadata).toMatch(
      /RESOLVED btc-updown-15m-test: Up \d+\.\d\d \/ Down \d+\.\d\d shares · hedge \d\.\d\d/,
    );
    expect(metadata).toContain(`DOWN won: P&L ${formatUsd(pnl)}`);
    expect(metadata).not.toMatch(/\\\(|\\\)/);
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the story did not end within 80 s")), 80_000);
  });
  try {
    // The worker stops either way: no poller is left behind a failed test.
    await worker.runUntil(Promise.race([story(), deadline]));
  } finally {
    clearTimeout(timer);
    await native.close();
    await connection.close();
  }
}, 120_000);
