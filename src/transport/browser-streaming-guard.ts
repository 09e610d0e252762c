import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Fails client-streaming and bidi calls at once, before any network use:
 * fetch cannot stream a request body in browsers (and gRPC-Web has no full
 * duplex), so such a call could only hang or fail obscurely later.
 */
export function createBrowserStreamingGuard(): Interceptor {
  return (next) => (req) => {
    const kind = req.method.methodKind;
    if (kind === "client_streaming" || kind === "bidi_streaming") {
      const what = kind === "client_streaming" ? "client-streaming" : "bidirectional";
      throw new ConnectError(
        `${req.service.typeName}/${req.method.name} is ${what}: browsers cannot stream request bodies over fetch; call it from Node`,
        Code.Unimplemented,
      );
    }
    return next(req);
  };
}
