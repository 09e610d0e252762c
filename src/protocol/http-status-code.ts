/**
 * The gRPC code for a response without `grpc-status`, from its HTTP status,
 * per gRPC's http-grpc-status-mapping.md. That document is explicit that the
 * table applies *only* when `grpc-status` is absent: when a response carries
 * one (even with HTTP 503), that status must be used (issue 13 item 5).
 */
import { Code } from "@connectrpc/connect";

/**
 * Maps an HTTP status to the gRPC code a client synthesizes for it
 * (http-grpc-status-mapping.md):
 *
 * | HTTP status                         | gRPC code         |
 * |-------------------------------------|-------------------|
 * | 400 Bad Request                     | INTERNAL          |
 * | 401 Unauthorized                    | UNAUTHENTICATED   |
 * | 403 Forbidden                       | PERMISSION_DENIED |
 * | 404 Not Found                       | UNIMPLEMENTED     |
 * | 429 Too Many Requests               | UNAVAILABLE       |
 * | 502 Bad Gateway                     | UNAVAILABLE       |
 * | 503 Service Unavailable             | UNAVAILABLE       |
 * | 504 Gateway Timeout                 | UNAVAILABLE       |
 * | all other codes, 200 included       | UNKNOWN           |
 *
 * 200 is UNKNOWN because a truly OK response carries `grpc-status`. Newer
 * copies of the document add 431 → INTERNAL; the Connect conformance suite
 * (v1.0.5, our gate) expects UNKNOWN for it, as connect-es and grpc-go give.
 */
export function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}
