import { Code, ConnectError } from "@connectrpc/connect";

/** One line for a failed call: what failed, the gRPC code and the server's message. */
export function describeError(what: string, err: unknown): string {
  if (err instanceof ConnectError) {
    const hint = err.code === Code.Unauthenticated ? " (check the token)" : "";
    return `${what} failed: ${Code[err.code]}: ${err.rawMessage}${hint}`;
  }
  return `${what} failed: ${String(err)}`;
}
