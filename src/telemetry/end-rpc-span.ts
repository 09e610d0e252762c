import { ConnectError } from "@connectrpc/connect";
import { type Attributes, type Span, SpanStatusCode } from "@opentelemetry/api";
import { type RpcSystem, statusAttributes } from "./rpc-attributes.js";
import { safely } from "./safely.js";

/**
 * Ends a call or attempt span with its outcome: the status attribute of the
 * RPC conventions, and on failure an exception event and status ERROR with
 * the error's message. Never throws.
 */
export function endRpcSpan(span: Span, system: RpcSystem, error: unknown, attributes: Attributes = {}): void {
  safely(
    "span end",
    () => {
      const connectError = error === undefined ? undefined : ConnectError.from(error);
      span.setAttributes({ ...attributes, ...statusAttributes(system, connectError?.code) });
      if (connectError !== undefined) {
        span.recordException(connectError);
        span.setStatus({ code: SpanStatusCode.ERROR, message: connectError.rawMessage });
      }
      span.end();
    },
    undefined,
  );
}
