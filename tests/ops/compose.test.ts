/**
 * docker-compose.yml and Dockerfile, checked without a Docker engine (none runs on these machines):
 * the compose file against the Compose Specification's JSON schema (ops/compose-spec.schema.json, the
 * one `docker compose` validates with), Ballast's services against Ballast's own configuration, pinned
 * images, the files it mounts, and a runtime stage that does not run as root. Each check is also run on
 * a broken copy, which it must refuse.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { parse as parseYaml } from "yaml";
import { ConfigError, loadConfig } from "../../src/config/load";
import { ENV_VARS } from "../../src/config/schema";
import { devServerSearchAttributeArgs } from "../../src/temporal/search-attributes";

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, unknown> | string[];
  volumes?: (string | { type: string; source?: string })[];
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
}

/** The compose file as `docker compose` reads it: YAML with merge keys (`<<: *anchor`) resolved. */
function parseCompose(text: string): Compose {
  return parseYaml(text, { merge: true }) as Compose;
}

const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true, strictTypes: false }).compile(
  JSON.parse(read("ops/compose-spec.schema.json")),
);

/** The schema's complaints, one line each ("/services/x/ports/0 must be …"). */
function schemaErrors(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

/** Ballast's own services: the ones running the image built from this repository's Dockerfile. */
function ballastServices(doc: Compose): [string, Service][] {
  return Object.entries(doc.services).filter(([, s]) => s.image?.startsWith("ballast:"));
}

/** Variables Ballast reads: the configuration's, and BALLAST_CONFIG (the optional JSON file). */
const READ_BY_BALLAST = new Set([...Object.keys(ENV_VARS), "BALLAST_CONFIG"]);

/** `service: NAME` for each environment variable of a Ballast service that Ballast does not read. */
function unreadSettings(doc: Compose): string[] {
  return ballastServices(doc).flatMap(([name, s]) =>
    Object.keys(s.environment ?? {})
      .filter((v) => !READ_BY_BALLAST.has(v))
      .map((v) => `${name}: ${v}`),
  );
}

/** A reference is pinned when it has a digest, or a tag with at least major.minor that is not "latest". */
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const last = image.split("/").pop() ?? "";
  const tag = last.includes(":") ? last.slice(last.indexOf(":") + 1) : undefined;
  return tag !== undefined && tag !== "latest" && /\d+\.\d+/.test(tag);
}

function unpinnedImages(doc: Compose): string[] {
  return Object.entries(doc.services).flatMap(([name, s]) =>
    s.image === undefined ? [`${name}: no image`] : isPinned(s.image) ? [] : [`${name}: ${s.image}`],
  );
}

/** Compose's interpolation, for the forms docker-compose.yml uses: ${V}, ${V:-default}, ${V:?error}, $$. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g, (all, name, op, arg) => {
    if (all === "$$") return "$";
    const v = env[name];
    if (op === ":?" && !v) throw new Error(`${name} is required: ${arg}`);
    if (op === ":-" && !v) return arg;
    return v ?? "";
  });
}

function serviceEnv(service: Service, env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v ?? ""), env)]),
  );
}

interface DockerInstruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function dockerInstructions(text: string): DockerInstruction[] {
  return text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

/** The user the last stage (the image) runs as: its last USER, else the base image's root. */
function runtimeUser(dockerfile: string): string {
  const instructions = dockerInstructions(dockerfile);
  const lastFrom = instructions.map((i) => i.op).lastIndexOf("FROM");
  if (lastFrom < 0) throw new Error("no FROM");
  const users = instructions.slice(lastFrom).filter((i) => i.op === "USER");
  return users.at(-1)?.args.split(":")[0] ?? "root";
}

const isRoot = (user: string) => user === "root" || user === "0";

/** The external images the Dockerfile builds on, with `ARG` defaults declared before FROM substituted. */
function dockerBaseImages(dockerfile: string): string[] {
  const args = new Map<string, string>();
  const stages = new Set<string>();
  const images: string[] = [];
  for (const { op, args: a } of dockerInstructions(dockerfile)) {
    if (op === "ARG" && images.length === 0 && stages.size === 0) {
      const [k, v] = a.split("=");
      if (k && v !== undefined) args.set(k, v);
    }
    if (op !== "FROM") continue;
    const words = a.split(/\s+/).filter((w) => !w.startsWith("--"));
    const image = (words[0] ?? "").replace(/\$\{(\w+)\}|\$(\w+)/g, (_, x, y) => args.get(x ?? y) ?? "");
    if (!stages.has(image)) images.push(image);
    if (words[1]?.toUpperCase() === "AS" && words[2]) stages.add(words[2]);
  }
  return [...new Set(images)];
}

const COMPOSE_TEXT = read("docker-compose.yml");
const COMPOSE = parseCompose(COMPOSE_TEXT);
const DOCKERFILE = read("Dockerfile");
/** What an operator puts in .env: the secrets docker-compose.yml requires. */
const OPERATOR_ENV = {
  POSTGRES_PASSWORD: "pg-secret",
  POLY_PRIVATE_KEY: `0x${"ef".repeat(32)}`,
  GRAFANA_ADMIN_PASSWORD: "grafana-secret",
};

describe("docker-compose.yml", () => {
  it("is valid under the Compose Specification's schema", () => {
    expect(schemaErrors(COMPOSE)).toEqual([]);
  });

  it("is refused by the schema when broken", () => {
    const misspelt = COMPOSE_TEXT.replace("  temporal-ui:\n    image:", "  temporal-ui:\n    imag:");
    expect(schemaErrors(parseCompose(misspelt))).toContain(
      "/services/temporal-ui must NOT have additional properties",
    );
    const badCondition = COMPOSE_TEXT.replace(
      "      temporal-admin-tools:\n        condition: service_completed_successfully",
      "      temporal-admin-tools:\n        condition: service_finished",
    );
    expect(schemaErrors(parseCompose(badCondition))).toContain(
      "/services/temporal/depends_on/temporal-admin-tools/condition must be equal to one of the allowed values",
    );
    const badPorts = parseCompose(COMPOSE_TEXT);
    (badPorts.services.temporal as Record<string, unknown>).ports = "7233";
    expect(schemaErrors(badPorts)).toContain("/services/temporal/ports must be array");
    expect(schemaErrors({ ...COMPOSE, servics: {} })).toContain("/ must NOT have additional properties");
  });

  it("runs Temporal without auto-setup: schema by admin-tools, then the server, the UI and the namespace", () => {
    const images = Object.values(COMPOSE.services).map((s) => s.image ?? "");
    expect(images.filter((i) => i.startsWith("temporalio/auto-setup"))).toEqual([]);
    const s = COMPOSE.services;
    expect(s["temporal-admin-tools"]?.image).toMatch(/^temporalio\/admin-tools:/);
    expect(s.temporal?.image).toMatch(/^temporalio\/server:/);
    expect(s["temporal-ui"]?.image).toMatch(/^temporalio\/ui:/);
    // The server and its tools are one release.
    expect(s["temporal-admin-tools"]?.image?.split(":")[1]).toBe(s.temporal?.image?.split(":")[1]);
    expect(s.temporal?.depends_on).toEqual({
      "temporal-admin-tools": { condition: "service_completed_successfully" },
    });
  });

  it("names only services that exist in depends_on, and mounts only files that exist", () => {
    const names = new Set(Object.keys(COMPOSE.services));
    const problems = (doc: Compose) =>
      Object.entries(doc.services)
        .flatMap(([name, s]) => [
          ...(Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}))
            .filter((d) => !names.has(d))
            .map((d) => `${name} depends on ${d}`),
          ...(s.volumes ?? [])
            .map((v) => (typeof v === "string" ? v.split(":")[0] : v.source) ?? "")
            .filter((src) => src.startsWith("./") && !existsSync(path.join(ROOT, src)))
            .map((src) => `${name} mounts ${src}`),
        ])
        .sort();
    expect(problems(COMPOSE)).toEqual([]);
    const broken = parseCompose(
      COMPOSE_TEXT.replace("./ops/prometheus/prometheus.yml", "./ops/prometheus/prometheus.yaml").replace(
        "      - prometheus\n",
        "      - promethus\n",
      ),
    );
    expect(problems(broken)).toEqual([
      "grafana depends on promethus",
      "prometheus mounts ./ops/prometheus/prometheus.yaml",
    ]);
  });

  it("pins every image (no latest, no untagged, at least major.minor)", () => {
    expect(unpinnedImages(COMPOSE)).toEqual([]);
    expect(COMPOSE.services["ballast-worker"]?.image).toBe(
      `ballast:${JSON.parse(read("package.json")).version}`,
    );
    const broken = parseCompose(
      COMPOSE_TEXT.replace("image: prom/prometheus:v3.5.0", "image: prom/prometheus:latest")
        .replace("image: grafana/grafana:12.1.1", "image: grafana/grafana")
        .replace("image: postgres:16.13", "image: postgres:16"),
    );
    expect(unpinnedImages(broken)).toEqual([
      "postgresql: postgres:16",
      "prometheus: prom/prometheus:latest",
      "grafana: grafana/grafana",
    ]);
    expect(isPinned(`registry.example:5000/postgres@sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isPinned("registry.example:5000/postgres")).toBe(false);
  });

  it("runs the worker, the streamer and the scheduler from the Dockerfile's image", () => {
    const ballast = Object.fromEntries(ballastServices(COMPOSE));
    expect(Object.keys(ballast).sort()).toEqual(["ballast-scheduler", "ballast-streamer", "ballast-worker"]);
    for (const [name, role] of [
      ["ballast-worker", "worker"],
      ["ballast-streamer", "streamer"],
      ["ballast-scheduler", "scheduler"],
    ] as const) {
      expect(ballast[name]?.command).toEqual(["node", "bin/ballast.cjs", role]);
      expect(ballast[name]?.build).toEqual({ context: ".", dockerfile: "Dockerfile" });
    }
  });

  it("sets only settings Ballast reads on its services", () => {
    expect(unreadSettings(COMPOSE)).toEqual([]);
    const broken = COMPOSE_TEXT.replace(/^ {2}LOG_LEVEL: .*$/m, "  LOG_LEVEL: info\n  LOGLEVEL: info");
    expect(unreadSettings(parseCompose(broken))).toEqual([
      "ballast-worker: LOGLEVEL",
      "ballast-streamer: LOGLEVEL",
      "ballast-scheduler: LOGLEVEL",
    ]);
  });

  it("gives each Ballast service a configuration that loads as production, off the simulator", () => {
    for (const [name, service] of ballastServices(COMPOSE)) {
      const config = loadConfig({ env: serviceEnv(service, OPERATOR_ENV) });
      expect([name, config.environment]).toEqual([name, "production"]);
      expect(config.venue.clobUrl).toBe("https://clob.polymarket.com");
      expect(config.temporal).toEqual({
        address: "temporal:7233",
        namespace: "ballast",
        taskQueue: "ballast",
        streamingTaskQueue: "ballast-streaming",
      });
      expect(config.database.url).toBe("postgres://ballast:pg-secret@postgresql:5432/ballast");
      expect(config.secrets.privateKey).toBe(
        name === "ballast-scheduler" ? undefined : OPERATOR_ENV.POLY_PRIVATE_KEY,
      );
      // An operator who points it at the simulator by mistake gets a refusal, not a worker.
      expect(() =>
        loadConfig({ env: serviceEnv(service, { ...OPERATOR_ENV, CLOB_URL: "http://127.0.0.1:7788" }) }),
      ).toThrow(ConfigError);
    }
    // The secrets are required: compose refuses to start without them.
    const worker = COMPOSE.services["ballast-worker"] as Service;
    expect(() => serviceEnv(worker, { POSTGRES_PASSWORD: "x" })).toThrow(/POLY_PRIVATE_KEY is required/);
  });

  it("has Prometheus scrape each long-running Ballast process on its METRICS_PORT", () => {
    const prometheus = parseYaml(read("ops/prometheus/prometheus.yml")) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = prometheus.scrape_configs.flatMap((j) => j.static_configs.flatMap((c) => c.targets));
    for (const [name, service] of ballastServices(COMPOSE)) {
      const port = loadConfig({ env: serviceEnv(service, OPERATOR_ENV) }).metrics.port;
      // The scheduler exits once its workflows run: nothing to scrape.
      const longRunning = service.restart === "unless-stopped";
      expect([name, targets.includes(`${name}:${port}`)]).toEqual([name, longRunning]);
    }
    expect(targets).toContain("temporal:8000");
    const mounted = COMPOSE.services.prometheus?.volumes;
    expect(mounted).toContain("./ops/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
  });

  it("registers in Temporal the search attributes Ballast defines", () => {
    const script = read("ops/temporal/create-namespace.sh");
    const listed = /^SEARCH_ATTRIBUTES="([^"]*)"$/m.exec(script)?.[1]?.split(" ");
    const defined = devServerSearchAttributeArgs().filter((a) => a !== "--search-attribute");
    expect(listed).toEqual(defined);
  });
});

describe("Dockerfile", () => {
  it("runs its runtime stage as a user other than root", () => {
    expect(runtimeUser(DOCKERFILE)).toBe("1000");
    expect(isRoot(runtimeUser(DOCKERFILE))).toBe(false);
    // Without a USER the base image's root runs it; a USER in an earlier stage does not count.
    const withoutUser = DOCKERFILE.replace(/^USER .*$/m, "");
    expect(isRoot(runtimeUser(withoutUser))).toBe(true);
    expect(isRoot(runtimeUser(DOCKERFILE.replace(/^USER .*$/m, "USER root:root")))).toBe(true);
    const userOnlyInBuild = withoutUser.replace("FROM deps AS build\n", "FROM deps AS build\nUSER 1000\n");
    expect(isRoot(runtimeUser(userOnlyInBuild))).toBe(true);
  });

  it("is multi-stage, installs production dependencies only without install scripts, and pins its base", () => {
    const instructions = dockerInstructions(DOCKERFILE);
    expect(instructions.filter((i) => i.op === "FROM").length).toBeGreaterThanOrEqual(2);
    const installs = instructions.filter((i) => i.op === "RUN" && /\bnpm (ci|install)\b/.test(i.args));
    expect(installs.map((i) => i.args)).toEqual([
      expect.stringMatching(/^npm ci --omit=dev --ignore-scripts /),
    ]);
    expect(dockerBaseImages(DOCKERFILE)).toEqual(["node:20.20.2-bookworm-slim"]);
    expect(dockerBaseImages(DOCKERFILE).every(isPinned)).toBe(true);
    expect(
      dockerBaseImages(DOCKERFILE.replace("node:20.20.2-bookworm-slim", "node:20-slim")).every(isPinned),
    ).toBe(false);
  });

  it("copies into the build context only what it uses (no .env, no node_modules)", () => {
    const ignore = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    expect(ignore[0]).toBe("*");
    const copied = dockerInstructions(DOCKERFILE)
      .filter((i) => i.op === "COPY" && !i.args.startsWith("--from"))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(new Set(ignore.slice(1).map((l) => l.replace(/^!/, "")))).toEqual(new Set(copied));
  });
});
