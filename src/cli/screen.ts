/**
 * The terminal of `ballast start`: one owner for stdout and stderr, so that a live dashboard (redrawn
 * in place on a TTY), notices and the children's output never write over each other, and a closed
 * stdout (`npm start | head`) is noticed, not fatal.
 */
import logUpdate from "log-update";

type Out = NodeJS.WriteStream;

export interface ScreenOptions {
  stdout?: Out;
  stderr?: Out;
  /** On a pipe or file, the dashboard is printed at most this often (30 s by default). */
  plainEveryMs?: number;
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

  constructor(options: ScreenOptions = {}) {
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.tty = Boolean(this.stdout.isTTY);
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

  /** A line for the operator on stderr (supervision notices, the children's log lines). */
  notice(line: string): void {
    this.aside(true, () => this.writeErr(`${line}\n`));
  }

  /** The dashboard: redrawn in place on a TTY; elsewhere printed at most every `plainEveryMs`. */
  live(text: string): void {
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
    if (Date.now() - this.lastPlain < this.plainEveryMs) return;
    this.lastPlain = Date.now();
    this.writeOut(`${text}\n`);
  }

  /** Leaves the last dashboard on screen and stops redrawing it, for good. */
  endLive(): void {
    this.liveEnded = true;
    if (this.render && this.liveText !== undefined && this.stdoutOpen) this.render.done();
    this.liveText = undefined;
  }
}
