/**
 * Venue errors (src/polymarket/errors.ts) as Temporal failures: the one place where the client's error
 * taxonomy meets Temporal's retry machinery.
 */
import { ApplicationFailure } from "@temporalio/common";
import { isNonRetryable, type VenueError } from "../../src/polymarket/errors";

/**
 * The ApplicationFailure an activity should throw for a venue error: typed by kind, flagged
 * non-retryable (isNonRetryable), carrying the details, and honouring the venue's Retry-After.
 */
export function toApplicationFailure(error: VenueError): ApplicationFailure {
  const details = error.toJSON();
  return ApplicationFailure.create({
    type: error.kind,
    message: error.message,
    nonRetryable: isNonRetryable(error),
    details: [details],
    ...(details.retryAfterMs !== undefined && error.retryable
      ? { nextRetryDelay: details.retryAfterMs }
      : {}),
    cause: error,
  });
}
