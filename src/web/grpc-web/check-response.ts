import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromHttpStatus } from "../../protocol/http-status-code.js";
import { readGrpcStatusFields } from "../../protocol/read-grpc-status.js";

/**
 * The checks every gRPC-Web response's headers go through (PROTOCOL-WEB.md,
 * http-grpc-status-mapping.md). Returns the error the call ends with now (a
 * proxy's page, an encoding we did not ask for), or undefined when the body
 * is to be read. A grpc-status in the headers makes a Trailers-Only response
 * only if the body is empty: the readers decide at its end (a trailer frame
 * wins; PROTOCOL-HTTP2.md "Trailers-Only").
 */
export function checkResponseHeaders(status: number, header: Headers): ConnectError | undefined {
  const grpcStatus = readHeaderStatus(header);
  // grpc-web (the package) and connect-es accept any 2xx.
  if (status < 200 || status > 299) {
    // A proxy's error page has no grpc-status: its HTTP status is all we have.
    if (grpcStatus instanceof ConnectError) return grpcStatus;
    return new ConnectError(`HTTP ${status}: the server did not answer with gRPC-Web`, codeFromHttpStatus(status), header);
  }
  const contentType = header.get("content-type");
  if (contentType === null || !isGrpcWebContentType(contentType)) {
    if (grpcStatus instanceof ConnectError) return grpcStatus;
    return new ConnectError(`unsupported content type ${String(contentType)}: not a gRPC-Web response`, Code.Unknown, header);
  }
  const encoding = header.get("grpc-encoding");
  if (encoding !== null && encoding !== "identity") {
    return new ConnectError(`unsupported response encoding "${encoding}": no compression was asked for`, Code.Internal, header);
  }
  return undefined;
}

/** The status in the response headers (a Trailers-Only response), with the headers as its metadata. */
export function readHeaderStatus(header: Headers): ConnectError | null | undefined {
  return readGrpcStatusFields(
    (name) => header.get(name),
    () => new Headers(header),
  );
}

/**
 * The status of the trailer frame, with the response headers added to an
 * error's metadata (names the trailer lacks), as connect-es gives them.
 */
export function readTrailerStatus(trailer: Headers, header: Headers): ConnectError | null | undefined {
  const status = readGrpcStatusFields(
    (name) => trailer.get(name),
    () => new Headers(trailer),
  );
  if (status instanceof ConnectError) {
    header.forEach((value, name) => {
      if (!status.metadata.has(name)) status.metadata.append(name, value);
    });
  }
  return status;
}

// "application/grpc-web", optionally "+proto" or "+json" and parameters.
function isGrpcWebContentType(value: string): boolean {
  const lower = value.toLowerCase();
  if (!lower.startsWith("application/grpc-web")) return false;
  const rest = lower.slice(20);
  return rest === "" || rest.startsWith("+proto") || rest.startsWith("+json") || rest.startsWith(";");
}
