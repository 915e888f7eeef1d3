import { readFileSync } from "node:fs";
import type { z } from "zod";
import { type Config, ConfigSchema, ENV_VARS } from "./schema";

export interface ConfigIssue {
  /** The field as a person sets it: the environment variable if there is one, else the dotted path. */
  field: string;
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `invalid configuration:\n${issues.map((i) => `  - ${i.field}${i.field !== i.path ? ` (${i.path})` : ""}: ${i.message}`).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

const PATH_TO_ENV = new Map(Object.entries(ENV_VARS).map(([env, path]) => [path.join("."), env]));

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; defaults to $BALLAST_CONFIG when set. */
  file?: string;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([
      {
        field: "BALLAST_CONFIG",
        path: "file",
        message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([
      {
        field: "BALLAST_CONFIG",
        path: "file",
        message: `${file} is not valid JSON: ${(err as Error).message}`,
      },
    ]);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([
      { field: "BALLAST_CONFIG", path: "file", message: `${file} must hold a JSON object` },
    ]);
  }
  return parsed as Record<string, unknown>;
}

function describe(issue: z.core.$ZodIssue, raw: Record<string, unknown>): ConfigIssue {
  const path = issue.path.map(String).join(".");
  const field =
    PATH_TO_ENV.get(issue.path.slice(0, 2).map(String).join(".")) ?? PATH_TO_ENV.get(path) ?? path;
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    return {
      field: path || "(config file)",
      path: path || "(root)",
      message: `unknown setting(s): ${issue.keys.join(", ")}`,
    };
  }
  const given = issue.path.reduce<unknown>(
    (node, key) =>
      node && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined,
    raw,
  );
  // Secrets are never echoed back, not even in an error; nor is a value the message already states.
  const echo = !(issue.code === "custom" && issue.params?.echo === false);
  if (echo && given !== undefined && issue.path[0] !== "secrets") message += `, got ${JSON.stringify(given)}`;
  return { field, path, message };
}

/**
 * Builds the configuration from defaults, the optional file and the environment.
 * Throws ConfigError naming every bad field at once.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const file = sources.file ?? env.BALLAST_CONFIG;
  const raw: Record<string, unknown> = file ? readConfigFile(file) : {};
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value !== undefined && value !== "") setPath(raw, path, value);
  }
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => describe(i, raw)));
  return result.data;
}

/**
 * For process entry points: the configuration, or one clear message on stderr and exit code 2.
 * No stack trace: a bad setting is the operator's to fix, not a crash.
 */
export function loadConfigOrExit(sources: ConfigSources = {}): Config {
  try {
    return loadConfig(sources);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ballast: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** The secret values in a config, for the log scrubber. */
export function secretValues(config: Config): string[] {
  return Object.values(config.secrets).filter((v): v is string => typeof v === "string" && v.length >= 4);
}
