/**
 * The terminal of `ballast start`: one owner for stdout and stderr, so that a live dashboard (redrawn
 * in place on a TTY), notices, log lines (ours and the children's) never write over each other, and a
 * closed stdout (`npm start | head`) is noticed, not fatal.
 *
 * Streams: stdout carries the program's output (the "running" line, the dashboard, window summaries);
 * stderr carries log lines and the operator's notices. In the `json` log format stdout holds JSON
 * lines only (see `output` and `live`), and log lines stay pino's JSON; in `pretty` they are rendered
 * by pino-pretty. On a terminal every write to either stream first clears the live area and redraws
 * it after, so that nothing is left half drawn.
 */
import logUpdate from "log-update";
import type { PositionView, SessionView } from "../../workflows/views";
import { colorFor, type LogFormat, makeScrubber, renderLogLine } from "../log";
import { formatMicros, formatRounded, formatUsd, type Micros } from "../money";

type Out = NodeJS.WriteStream;

export interface ScreenOptions {
  stdout?: Out;
  stderr?: Out;
  /** On a pipe or file, the dashboard is printed at most this often (30 s by default). */
  plainEveryMs?: number;
  /** How log lines and the program's output look: pretty (text) unless told (`ballast start` tells). */
  logFormat?: LogFormat;
  /** Colours in pretty log lines: by default when stderr is a terminal (and NO_COLOR is not set). */
  colorize?: boolean;
}

export class Screen {
  private readonly stdout: Out;
  private readonly stderr: Out;
  private readonly tty: boolean;
  private readonly render: ReturnType<typeof logUpdate.create> | undefined;
  private liveText: string | undefined;
  private liveEnded = false;
  private lastPlain = 0;
  private readonly plainEveryMs: number;
  private stdoutOpen = true;
  private stderrOpen = true;
  private closedListeners: ((err: Error) => void)[] = [];
  readonly format: LogFormat;
  private readonly colorize: boolean;

  constructor(options: ScreenOptions = {}) {
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.tty = Boolean(this.stdout.isTTY);
    this.format = options.logFormat ?? "pretty";
    this.colorize = options.colorize ?? colorFor(this.stderr);
    this.render = this.tty ? logUpdate.create(this.stdout) : undefined;
    this.plainEveryMs = options.plainEveryMs ?? 30_000;
    this.stderr.on("error", () => {
      this.stderrOpen = false;
    });
  }

  /** stdout is gone (EPIPE on a pipe, EIO on a hung-up terminal): nothing more is written to it. */
  stdoutClosed(err: Error): void {
    if (!this.stdoutOpen) return;
    this.stdoutOpen = false;
    for (const listener of this.closedListeners) listener(err);
  }

  onStdoutClosed(listener: (err: Error) => void): void {
    this.closedListeners.push(listener);
  }

  get isStdoutOpen(): boolean {
    return this.stdoutOpen;
  }

  private writeOut(text: string): void {
    if (!this.stdoutOpen) return;
    try {
      this.stdout.write(text);
    } catch (err) {
      this.stdoutClosed(err as Error);
    }
  }

  private writeErr(text: string): void {
    if (!this.stderrOpen) return;
    try {
      this.stderr.write(text);
    } catch {
      this.stderrOpen = false;
    }
  }

  /** Runs `write` with the live area cleared first (when it shares the terminal) and redrawn after. */
  private aside(onStderr: boolean, write: () => void): void {
    const clear =
      this.render && this.liveText !== undefined && this.stdoutOpen && (!onStderr || this.stderr.isTTY);
    if (clear) this.render?.clear();
    write();
    if (clear && this.liveText !== undefined) this.render?.(this.liveText);
  }

  /** A line of the program's output on stdout (the "running" line, window summaries). */
  print(line: string): void {
    this.aside(false, () => this.writeOut(`${line}\n`));
  }

  /** A line for the operator on stderr (supervision notices), as it is in either format. */
  notice(line: string): void {
    this.aside(true, () => this.writeErr(`${line}\n`));
  }

  /**
   * A log line on stderr: a pino JSON line (ours, or a child's named `from`) rendered in this screen's
   * format; a line that is not JSON is written as it is.
   */
  log(line: string, from?: string): void {
    const text = renderLogLine(line, this.format, { colorize: this.colorize, name: from });
    if (text === "") return;
    this.aside(true, () => this.writeErr(`${text}\n`));
  }

  /** The program's output on stdout: `text` for a person, or (in the json format) the JSON line `json()`. */
  output(text: string, json: () => string): void {
    this.print(this.format === "json" ? json() : text);
  }

  /**
   * The dashboard: redrawn in place on a TTY; elsewhere printed at most every `plainEveryMs`, as the
   * JSON line `json()` in the json format (nothing if there is none).
   */
  live(text: string, json?: () => string): void {
    if (!this.stdoutOpen || this.liveEnded) return;
    if (this.render) {
      this.liveText = text;
      try {
        this.render(text);
      } catch (err) {
        this.stdoutClosed(err as Error);
      }
      return;
    }
    if (this.format === "json" && !json) return;
    if (Date.now() - this.lastPlain < this.plainEveryMs) return;
    this.lastPlain = Date.now();
    this.writeOut(`${this.format === "json" && json ? json() : text}\n`);
  }

  /** Leaves the last dashboard on screen and stops redrawing it, for good. */
  endLive(): void {
    this.liveEnded = true;
    if (this.render && this.liveText !== undefined && this.stdoutOpen) this.render.done();
    this.liveText = undefined;
  }
}

/**
 * Shows a child's output lines on the screen: each scrubbed of the stack's secrets (the paper
 * wallet's key included, which the parent's own configuration may not hold), then rendered as a log
 * line of the child `name` (pretty or JSON, as the screen shows logs; a line that is not JSON as it is).
 */
export function forwardChildLines(
  screen: Pick<Screen, "log">,
  name: string,
  secrets: readonly string[],
): (line: string) => void {
  const scrub = makeScrubber(secrets);
  return (line) => screen.log(scrub(line), name);
}

// ---------------------------------------------------------------------------------------------------------
// The dashboard of `ballast start`

/** One running market session and its open positions, as their state queries answer. */
export interface MarketStatus {
  session: SessionView;
  positions: PositionView[];
}

/** A price for a person: at least the cents, and every further digit its tick has (0.51, 0.515). */
export function formatPrice(m: Micros | null | undefined): string {
  return m === null || m === undefined ? "-" : formatMicros(m, 2);
}

/** Shares for a person: two decimals (25.00, 12.35). */
export function formatShares(m: Micros): string {
  return formatRounded(m, 2);
}

function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

function sum(positions: readonly PositionView[], f: (p: PositionView) => Micros): Micros {
  return positions.reduce((total, p) => total + f(p), 0);
}

/**
 * The dashboard's text: a line per market, sorted (window, best asks, positions, the open positions'
 * shares, cost, hedge ratios and guaranteed P&L), money in cents, prices to the tick, shares to 2 decimals.
 */
export function statusText(markets: readonly MarketStatus[]): string {
  const lines = markets.map(({ session: s, positions }) => {
    const asks = s.bestAsks ? `asks ${formatPrice(s.bestAsks.up)}/${formatPrice(s.bestAsks.down)}  ` : "";
    const hedges = positions.map((p) => p.hedgeRatio.toFixed(2)).join(" ") || "-";
    const held =
      positions.length > 0
        ? `shares ${formatShares(sum(positions, (p) => p.upShares))}/${formatShares(sum(positions, (p) => p.downShares))}  cost ${formatUsd(sum(positions, (p) => p.netCost))}  `
        : "";
    return `${s.asset.padEnd(4)} ${s.slug.padEnd(28)} ${hhmm(s.startMs)}–${hhmm(s.endMs)}  ${s.halted ? "HALTED " : ""}${asks}positions ${s.positionsStarted} (open ${positions.length})  ${held}hedge ${hedges}  guaranteed P&L ${formatUsd(sum(positions, (p) => p.guaranteedPnl))}`;
  });
  return lines.sort().join("\n") || "waiting for the first market window…";
}

/** The dashboard as JSON fields: exact amounts (decimal strings, pUSD and shares), one entry per market. */
export function statusFields(markets: readonly MarketStatus[]): { markets: Record<string, unknown>[] } {
  return {
    markets: [...markets]
      .sort((a, b) => a.session.slug.localeCompare(b.session.slug))
      .map(({ session: s, positions }) => ({
        asset: s.asset,
        slug: s.slug,
        start: new Date(s.startMs).toISOString(),
        end: new Date(s.endMs).toISOString(),
        halted: s.halted,
        bestAsks: s.bestAsks
          ? {
              up: s.bestAsks.up === null ? null : formatMicros(s.bestAsks.up),
              down: s.bestAsks.down === null ? null : formatMicros(s.bestAsks.down),
            }
          : null,
        positionsStarted: s.positionsStarted,
        openPositions: positions.length,
        upShares: formatMicros(sum(positions, (p) => p.upShares)),
        downShares: formatMicros(sum(positions, (p) => p.downShares)),
        cost: formatMicros(sum(positions, (p) => p.netCost)),
        hedgeRatios: positions.map((p) => p.hedgeRatio),
        guaranteedPnl: formatMicros(sum(positions, (p) => p.guaranteedPnl)),
      })),
  };
}
