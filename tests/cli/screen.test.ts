/**
 * The terminal of `ballast start` (src/cli/screen.ts): nothing more is written to a closed stdout,
 * and the closure is reported once, so that the stack can stop.
 */
import { Writable } from "node:stream";
import { Screen } from "../../src/cli/screen";

function sink(isTTY = false) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  (stream as { isTTY?: boolean }).isTTY = isTTY;
  return { stream, chunks };
}

describe("Screen", () => {
  it("after stdout is closed: reports it once and writes nothing more to it; stderr still works", () => {
    const out = sink();
    const err = sink();
    const screen = new Screen({ stdout: out.stream, stderr: err.stream, plainEveryMs: 0 });
    const closed: string[] = [];
    screen.onStdoutClosed((e) => closed.push(e.message));
    screen.print("Ballast running");
    screen.stdoutClosed(new Error("write EPIPE"));
    screen.stdoutClosed(new Error("write EPIPE"));
    screen.print("resolved btc");
    screen.live("BTC …");
    screen.notice("ballast: stopping");
    expect(closed).toEqual(["write EPIPE"]);
    expect(out.chunks).toEqual(["Ballast running\n"]);
    expect(err.chunks).toEqual(["ballast: stopping\n"]);
  });

  it("off a terminal, prints the dashboard at most every plainEveryMs, and not after endLive", () => {
    const out = sink();
    const screen = new Screen({ stdout: out.stream, stderr: sink().stream, plainEveryMs: 60_000 });
    screen.live("first");
    screen.live("second");
    expect(out.chunks).toEqual(["first\n"]);
    const eager = new Screen({ stdout: out.stream, stderr: sink().stream, plainEveryMs: 0 });
    eager.endLive();
    eager.live("third");
    expect(out.chunks).toEqual(["first\n"]);
  });
});
