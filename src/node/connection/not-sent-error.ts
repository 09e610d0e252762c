import { Code, ConnectError } from "@connectrpc/connect";
import { NOT_SENT_CODE } from "../../interceptors/unprocessed-error.js";

/**
 * An UNAVAILABLE error for a call that never left the client (no connection
 * could be made, or the transport had none to offer). Its cause carries
 * {@link NOT_SENT_CODE}, so retrying it is safe for any method (gRFC A6
 * transparent retry).
 */
export function notSentError(message: string, cause?: unknown): ConnectError {
  const reason = Object.assign(new Error(message, cause === undefined ? {} : { cause }), { code: NOT_SENT_CODE });
  return new ConnectError(message, Code.Unavailable, undefined, undefined, reason);
}
