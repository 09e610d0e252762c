import type { connectNodeAdapter } from "@connectrpc/connect-node";
import { encodeGrpcMessage } from "./grpc-message-encoding.js";

/** connect-node's handler type, which it does not export by name. */
type NodeHandlerFn = NonNullable<Parameters<typeof connectNodeAdapter>[0]["fallback"]>;
type Request = Parameters<NodeHandlerFn>[0];
type Response = Parameters<NodeHandlerFn>[1];

/** gRPC's UNIMPLEMENTED status code. */
const UNIMPLEMENTED = 12;
/** Envelope flag of a Connect end-of-stream message. */
const CONNECT_END_STREAM_FLAG = 0x02;

/**
 * Creates the handler for requests to no registered method. A bare 404 is
 * what connect-node sends, but gRPC clients then see no `grpc-status` and
 * report INTERNAL ("server closed the stream without sending trailers"),
 * which breaks their version-skew handling. So, as connect-go, grpc-go and
 * grpc-java servers do, each protocol gets its own UNIMPLEMENTED:
 * - gRPC and gRPC-Web: HTTP 200, trailers-only, `grpc-status: 12`;
 * - Connect unary (and GET): HTTP 501 with the `unimplemented` error JSON;
 * - Connect streaming: HTTP 200 with an end-of-stream message holding the error;
 * - anything else (a browser, curl on a random path): a plain 404.
 * `services` names the registered services, so the message can say whether
 * the service or only the method is unknown.
 */
export function createUnimplementedFallback(services: () => ReadonlySet<string>): NodeHandlerFn {
  return (req, res) => {
    const protocol = protocolOf(req);
    const path = /^\/([^/]+)\/([^/?]+)(?:\?|$)/.exec(req.url ?? "");
    if (protocol === undefined || path === null) return notFound(res);
    const [, service = "", method = ""] = path;
    const message = services().has(service)
      ? `unknown method ${method} for service ${service}`
      : `unknown service ${service} (calling /${service}/${method})`;
    // The request body is of no use: read it away so the client is not stalled by flow control.
    req.resume();
    const contentType = req.headers["content-type"] ?? "";
    switch (protocol) {
      case "grpc":
      case "grpc-web":
        return trailersOnly(req, res, {
          "content-type": contentType,
          "grpc-status": String(UNIMPLEMENTED),
          "grpc-message": encodeGrpcMessage(message),
        });
      case "connect-stream": {
        const json = Buffer.from(JSON.stringify({ error: { code: "unimplemented", message } }));
        const envelope = Buffer.alloc(5);
        envelope.writeUInt8(CONNECT_END_STREAM_FLAG, 0);
        envelope.writeUInt32BE(json.length, 1);
        res.writeHead(200, { "content-type": contentType });
        res.end(Buffer.concat([envelope, json]));
        return;
      }
      case "connect-unary":
        res.writeHead(501, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: "unimplemented", message }));
        return;
    }
  };
}

type Protocol = "grpc" | "grpc-web" | "connect-unary" | "connect-stream";

/** Which RPC protocol a request speaks, by content type (and for Connect GET, its query), if any. */
function protocolOf(req: Request): Protocol | undefined {
  const contentType = (req.headers["content-type"] ?? "").toLowerCase();
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  if (contentType.startsWith("application/connect+")) return "connect-stream";
  if (req.method === "POST" && /^application\/(json|proto)(;|$)/.test(contentType)) return "connect-unary";
  // Connect's unary GET carries everything in the query: ?connect=v1&encoding=...&message=...
  if (req.method === "GET" && /[?&]connect=v1(&|$)/.test(req.url ?? "")) return "connect-unary";
  return undefined;
}

/**
 * Sends headers that end the stream, status included: on HTTP/2 one HEADERS
 * frame with END_STREAM, the "Trailers-Only" response of the gRPC spec
 * (PROTOCOL-HTTP2.md), which grpc-go insists on.
 */
function trailersOnly(req: Request, res: Response, headers: Record<string, string>): void {
  if ("stream" in req && !req.stream.destroyed && !req.stream.headersSent) {
    // Headers set earlier (CORS) go along.
    req.stream.respond({ ...res.getHeaders(), ":status": 200, ...headers }, { endStream: true });
    return;
  }
  res.writeHead(200, headers);
  res.end();
}

function notFound(res: Response): void {
  res.writeHead(404);
  res.end();
}
