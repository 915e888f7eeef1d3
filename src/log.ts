/**
 * Logging for everything outside workflows (workflows use the SDK's replay-aware `log`, routed
 * here by workers/runtime.ts).
 *
 * Secrets never reach a log line, by two independent guards:
 *  1. pino `redact` censors fields whose names say they hold a secret, wherever they sit;
 *  2. every serialized line is scrubbed of the configured secret values themselves, so a secret
 *     that leaks into a message string, an error or an unexpected field is still censored.
 *
 * Two formats: `json` (one pino JSON object per line, for machines) and `pretty` (pino-pretty, for a
 * person at a terminal). A pretty line is rendered from the JSON line after both guards ran, so it
 * holds no more than the JSON one would.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { prettyFactory } from "pino-pretty";

export type { Logger } from "pino";

export const REDACTED = "[REDACTED]";

const SECRET_KEYS = [
  "privateKey",
  "private_key",
  "secret",
  "apiSecret",
  "api_secret",
  "passphrase",
  "POLY_PASSPHRASE",
  "POLY_SIGNATURE",
  "POLY_API_KEY",
  "apiKey",
  "password",
  "authorization",
  "Authorization",
];

/** Field paths censored by pino: at the top level and up to two levels down. */
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Replaces every occurrence of any secret value (also JSON-escaped) in a serialized line. */
export function makeScrubber(secrets: readonly string[]): (line: string) => string {
  const needles = [
    ...new Set(secrets.filter((s) => s.length >= 4).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)])),
  ];
  if (needles.length === 0) return (line) => line;
  const re = new RegExp(needles.map(escapeRegExp).join("|"), "g");
  return (line) => line.replace(re, REDACTED);
}

export const LOG_FORMATS = ["pretty", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function isLogFormat(value: unknown): value is LogFormat {
  return typeof value === "string" && (LOG_FORMATS as readonly string[]).includes(value);
}

/**
 * The log format of a process: `--log-format` if given, else LOG_FORMAT (the configuration's
 * `log.format`), else pretty on a terminal and JSON anywhere else (a pipe, a file, a container).
 */
export function chooseLogFormat(choice: {
  flag?: string | undefined;
  configured?: LogFormat | undefined;
  isTTY: boolean | undefined;
}): LogFormat {
  if (choice.flag !== undefined) {
    if (!isLogFormat(choice.flag))
      throw new Error(`--log-format must be ${LOG_FORMATS.join(" or ")}, got ${choice.flag}`);
    return choice.flag;
  }
  return choice.configured ?? (choice.isTTY ? "pretty" : "json");
}

export interface PrettyOptions {
  /** ANSI colours (for a terminal). */
  colorize?: boolean;
  /** The process the line comes from, shown when the record does not name one itself. */
  name?: string | undefined;
}

const prettifiers = new Map<boolean, (record: object) => string>();

function prettifier(colorize: boolean): (record: object) => string {
  let p = prettifiers.get(colorize);
  if (!p) {
    p = prettyFactory({
      colorize,
      singleLine: true,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
    });
    prettifiers.set(colorize, p);
  }
  return p;
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One pino JSON line as a person reads it: `[12:00:01.250] WARN (worker): message {"extra":1}`
 * (an error's stack on the lines after). A line that is not a JSON object is returned as it is.
 * No trailing newline.
 */
export function prettyLogLine(line: string, options: PrettyOptions = {}): string {
  const text = line.replace(/\r?\n$/, "");
  const record = parseRecord(text);
  if (!record) return text;
  if (options.name !== undefined && record.name === undefined) record.name = options.name;
  return prettifier(Boolean(options.colorize))(record).replace(/\r?\n$/, "");
}

/** A log line in the given format (see prettyLogLine); JSON lines stay as they are. No trailing newline. */
export function renderLogLine(line: string, format: LogFormat, options: PrettyOptions = {}): string {
  return format === "pretty" ? prettyLogLine(line, options) : line.replace(/\r?\n$/, "");
}

/**
 * A JSON line shaped like a pino record (level, ISO time, name, msg, then `fields`), for what a
 * program prints on stdout as JSON rather than logs: `ballast start`'s status and summaries.
 */
export function jsonRecord(
  msg: string,
  fields: Record<string, unknown> = {},
  options: { name?: string; level?: number; now?: Date } = {},
): string {
  return JSON.stringify({
    level: options.level ?? 30,
    time: (options.now ?? new Date()).toISOString(),
    ...(options.name ? { name: options.name } : {}),
    msg,
    ...fields,
  });
}

/** True when colours should be used on `stream` (a terminal, and NO_COLOR not set). */
export function colorFor(stream: { isTTY?: boolean }): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

export interface LogOptions {
  level?: LoggerOptions["level"];
  /** Secret values to scrub from every line (see secretValues in src/config/load.ts). */
  secrets?: readonly string[];
  name?: string;
  /** Where lines go: stderr (fd 2) by default. */
  destination?: DestinationStream;
  /** json (the default) or pretty; pretty lines are rendered after redaction and scrubbing. */
  format?: LogFormat;
  /** Colours in pretty lines; by default when stderr is a terminal (and there is no `destination`). */
  colorize?: boolean;
}

export function createLogger(options: LogOptions = {}): Logger {
  const scrub = makeScrubber(options.secrets ?? []);
  const pinoOptions: LoggerOptions = {
    level: options.level ?? "info",
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    hooks: { streamWrite: scrub },
    base: options.name ? { name: options.name } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const destination = options.destination ?? pino.destination(2);
  if (options.format !== "pretty") return pino(pinoOptions, destination);
  const colorize = options.colorize ?? (options.destination ? false : colorFor(process.stderr));
  // The line handed to a destination has gone through redact and the scrubber (hooks.streamWrite).
  const pretty: DestinationStream = {
    write: (line: string) => destination.write(`${prettyLogLine(line, { colorize })}\n`),
  };
  return pino(pinoOptions, pretty);
}
