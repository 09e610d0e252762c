/**
 * Exit statuses besides 0 and the gRPC code of a failed call (NotFound 5,
 * DeadlineExceeded 4, ...), which is what userctl exits with when a call fails.
 */

export { EXIT_USAGE } from "./usage-error.js";

/** Some items of `bulk-create` or `sync` failed (BSD sysexits EX_DATAERR). */
export const EXIT_ITEMS_FAILED = 65;

/** `health` answered, but the status is not SERVING. */
export const EXIT_NOT_SERVING = 2;
