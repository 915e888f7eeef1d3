/**
 * The production/simulator guard. A deployment says what it trades on with BALLAST_ENV:
 *
 * - `production` refuses venue URLs that are the simulator's: a loopback host (127.0.0.0/8, ::1,
 *   localhost, 0.0.0.0) or the simulator's port, 7788 (`ballast venue`'s default, also where the
 *   simulator runs as a service of its own). A production worker left on the defaults, or pointed at
 *   a simulator by accident, does not start.
 * - `simulator` (the default) refuses Polymarket's own hosts (*.polymarket.com): trading the real
 *   venue takes BALLAST_ENV=production, said on purpose.
 *
 * Credentials play no part: a live key against the simulator is fine (the simulator holds no funds).
 */
import { BlockList, isIPv6 } from "node:net";

export type Environment = "simulator" | "production";

/** The port `ballast venue` listens on by default (VENUE_DEFAULTS.port in src/venue/server/app.ts). */
export const SIMULATOR_PORT = 7788;

/** The venue settings the guard reads, by the environment variable a person sets them with. */
const VENUE_URLS = [
  ["clobUrl", "CLOB_URL"],
  ["gammaUrl", "GAMMA_URL"],
  ["wsUrl", "WS_URL"],
] as const;

export type VenueUrls = Record<(typeof VENUE_URLS)[number][0], string>;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
// "This host": connecting to 0.0.0.0 or :: reaches the local machine.
LOOPBACK.addSubnet("0.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");
LOOPBACK.addAddress("::", "ipv6");

function hostOf(url: URL): string {
  // WHATWG URLs already normalize 2130706433, 0x7f.1 and [0:0:0:0:0:0:0:1]; drop brackets and a final dot.
  return url.hostname
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
}

function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIPv6(host)) return LOOPBACK.check(host, "ipv6");
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) && LOOPBACK.check(host, "ipv4");
}

/** Why a URL is the venue simulator's, or undefined when it is not. */
export function simulatorReason(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  const host = hostOf(url);
  if (isLoopbackHost(host)) return `loopback host ${host}`;
  if (url.port === String(SIMULATOR_PORT)) return `the simulator's port ${SIMULATOR_PORT}`;
  return undefined;
}

/** Whether a URL is Polymarket's own (production) venue. */
export function isPolymarketUrl(raw: string): boolean {
  try {
    const host = hostOf(new URL(raw));
    return host === "polymarket.com" || host.endsWith(".polymarket.com");
  } catch {
    return false;
  }
}

/**
 * Why the venue settings do not fit the environment, in one line, or undefined when they do.
 * Names every offending URL at once.
 */
export function deploymentMismatch(environment: Environment, venue: VenueUrls): string | undefined {
  if (environment === "production") {
    const found = VENUE_URLS.flatMap(([key, env]) => {
      const why = simulatorReason(venue[key]);
      return why ? [`${env} ${venue[key]} (${why})`] : [];
    });
    if (found.length === 0) return undefined;
    return `production, but the venue is the simulator: ${found.join(", ")}; set the real venue's URLs, or BALLAST_ENV=simulator`;
  }
  const found = VENUE_URLS.flatMap(([key, env]) =>
    isPolymarketUrl(venue[key]) ? [`${env} ${venue[key]}`] : [],
  );
  if (found.length === 0) return undefined;
  return `simulator (the default), but ${found.join(", ")} ${found.length === 1 ? "is" : "are"} Polymarket's production venue; set BALLAST_ENV=production to trade there`;
}
