/**
 * Logging for everything outside workflows (workflows use the SDK's replay-aware `log`, routed
 * here by workers/runtime.ts).
 *
 * Secrets never reach a log line, by two independent guards:
 *  1. pino `redact` censors fields whose names say they hold a secret, wherever they sit;
 *  2. every serialized line is scrubbed of the configured secret values themselves, so a secret
 *     that leaks into a message string, an error or an unexpected field is still censored.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

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

export interface LogOptions {
  level?: LoggerOptions["level"];
  /** Secret values to scrub from every line (see secretValues in src/config/load.ts). */
  secrets?: readonly string[];
  name?: string;
  destination?: DestinationStream;
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
  return options.destination
    ? pino(pinoOptions, options.destination)
    : pino(pinoOptions, pino.destination(2));
}
