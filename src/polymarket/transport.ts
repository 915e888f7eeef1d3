/**
 * Transport of the venue client. The client drops response headers and has no timeout (plain axios
 * defaults). An axios interceptor, active only inside this adapter's calls (AsyncLocalStorage), sets a
 * timeout and records the status, headers and transport error code of each exchange, so Retry-After and
 * "reset vs refused" survive into classification (errors.ts). axios is the client's own dependency; it is
 * imported here so that the interceptor sits on the very instance the client calls.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import axios from "axios";
import { classifyClientError, type TransportObservation } from "./errors";

/** Per HTTP request, unless the caller sets another timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

interface CallContext {
  timeoutMs: number;
  observed?: TransportObservation;
}

const callContext = new AsyncLocalStorage<CallContext>();
let observingTraffic = false;

function plainHeaders(headers: unknown): Record<string, string> {
  const source =
    headers !== null &&
    typeof headers === "object" &&
    "toJSON" in headers &&
    typeof headers.toJSON === "function"
      ? (headers.toJSON() as Record<string, unknown>)
      : ((headers ?? {}) as Record<string, unknown>);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (typeof value === "string") result[name.toLowerCase()] = value;
  }
  return result;
}

/** Installs, once per process, the interceptors that serve calls made inside {@link venueCall}. */
function observeVenueTraffic(): void {
  if (observingTraffic) return;
  observingTraffic = true;
  axios.interceptors.request.use(
    (config) => {
      const context = callContext.getStore();
      if (context) config.timeout = context.timeoutMs;
      return config;
    },
    undefined,
    { synchronous: true },
  );
  axios.interceptors.response.use(
    (response) => {
      const context = callContext.getStore();
      if (context) context.observed = { status: response.status, headers: plainHeaders(response.headers) };
      return response;
    },
    (error: unknown) => {
      const context = callContext.getStore();
      if (context && axios.isAxiosError(error)) {
        context.observed = {
          status: error.response?.status,
          headers: plainHeaders(error.response?.headers),
          code: error.code,
          message: error.message,
        };
      }
      return Promise.reject(error);
    },
  );
}

/** Runs one client call with a timeout, turning any failure into a taxonomy error. */
export async function venueCall<T>(
  run: () => Promise<T>,
  settings: { timeoutMs: number; now: () => number; batch?: boolean },
): Promise<T> {
  observeVenueTraffic();
  const context: CallContext = { timeoutMs: settings.timeoutMs };
  try {
    return await callContext.run(context, run);
  } catch (error) {
    throw classifyClientError(error, context.observed, { now: settings.now(), batch: settings.batch });
  }
}
