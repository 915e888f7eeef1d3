/** A logger that keeps its lines, for tests that check what was logged (the channel client's logger shape). */
import type { ChannelLogger } from "../../src/polymarket/channel-client";

export class RecordingLogger implements ChannelLogger {
  readonly lines: { level: string; msg: string; obj: object }[] = [];
  debug(obj: object, msg: string) {
    this.lines.push({ level: "debug", msg, obj });
  }
  info(obj: object, msg: string) {
    this.lines.push({ level: "info", msg, obj });
  }
  warn(obj: object, msg: string) {
    this.lines.push({ level: "warn", msg, obj });
  }
  error(obj: object, msg: string) {
    this.lines.push({ level: "error", msg, obj });
  }
}
