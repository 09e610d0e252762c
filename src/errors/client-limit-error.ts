import { Code, ConnectError } from "@connectrpc/connect";

/**
 * RESOURCE_EXHAUSTED raised by one of this client's own limits (a response
 * over `readMaxBytes`, a length prefix announcing more, a message that
 * inflates beyond it), as statuscodes.md asks for "Sent or received message
 * was larger than configured limit".
 *
 * RESOURCE_EXHAUSTED is in the default retryable codes because a server's
 * quota refills; our own limit does not, so sending the call again only
 * fetches the same oversized response again (issue 13 item 5: "fetched once,
 * not four times"). The retry decision asks {@link isClientLimitError}.
 */
const clientLimitErrors = new WeakSet<Error>();

/** A RESOURCE_EXHAUSTED ConnectError marked as raised by a client-side limit. */
export function clientLimitError(message: string, cause?: unknown): ConnectError {
  const error = new ConnectError(message, Code.ResourceExhausted, undefined, undefined, cause);
  clientLimitErrors.add(error);
  return error;
}

/** Whether `error`, or an error in its `cause` chain, came from a client-side limit: never worth a retry. */
export function isClientLimitError(error: unknown): boolean {
  let e = error;
  for (let depth = 0; depth < 8 && e instanceof Error; depth++, e = e.cause) {
    if (clientLimitErrors.has(e)) return true;
  }
  return false;
}
