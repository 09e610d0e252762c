import * as http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
} from "../../../gen/grpc/health/v1/health_pb.js";
import { backoffDelayMs, sleep, systemClock } from "../../interceptors/backoff.js";
import { createEnvelopeReader, encodeEnvelope } from "../grpc/envelope.js";
import { readGrpcStatus } from "../grpc/grpc-status.js";
import { codeFromHttpStatus } from "../grpc/http-status-code.js";
import type { Endpoint } from "./endpoint.js";

/** gRPC's connection backoff bounds, as for reconnecting the endpoint itself. */
const backoff = { initialBackoffMs: 1_000, maxBackoffMs: 120_000, backoffMultiplier: 2 };

/** How one Health/Watch stream ended. */
type WatchEnd = "unimplemented" | "broken";

/**
 * Client-side health checking of one endpoint (gRFC A17): a Health/Watch
 * stream on the endpoint's own connections, spoken directly on HTTP/2 with
 * the gRPC wire pieces of src/node/grpc (the pool sits below every client,
 * so it does not reach up to the health client). Each answer reports SERVING
 * or not; a broken stream reports not serving and reopens with backoff; an
 * endpoint without the health service (UNIMPLEMENTED) counts as serving and
 * is not asked again. The stream is a background one: it neither keeps the
 * process alive nor the connection busy.
 */
export async function watchEndpointHealth(
  endpoint: Endpoint,
  service: string,
  signal: AbortSignal,
  onServing: (serving: boolean) => void,
): Promise<void> {
  const request = encodeEnvelope(0, toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service })));
  let failures = 0;
  while (!signal.aborted) {
    let answered = false;
    const end = await watchOnce(endpoint, request, signal, (status) => {
      answered = true;
      onServing(status === ServingStatus.SERVING);
    }).catch((): WatchEnd => "broken");
    if (end === "unimplemented") {
      onServing(true);
      return;
    }
    if (signal.aborted) return;
    onServing(false);
    failures = answered ? 1 : failures + 1;
    try {
      await sleep(backoffDelayMs(failures, backoff, Math.random), signal, systemClock);
    } catch {
      return;
    }
  }
}

function watchOnce(endpoint: Endpoint, request: Buffer, signal: AbortSignal, onStatus: (status: ServingStatus) => void): Promise<WatchEnd> {
  return endpoint.connection().then(
    (connection) =>
      new Promise<WatchEnd>((resolve) => {
        const stream = connection.request(
          "POST",
          "/grpc.health.v1.Health/Watch",
          { "content-type": "application/grpc+proto", te: "trailers" },
          {},
          true,
        );
        const reader = createEnvelopeReader(64 * 1024);
        let code: Code | undefined;
        const stop = () => stream.close(http2.constants.NGHTTP2_CANCEL);
        signal.addEventListener("abort", stop, { once: true });
        stream.on("error", () => {});
        // A server without the health service answers UNIMPLEMENTED, or an old one HTTP 404.
        stream.on("response", (headers) => {
          const httpStatus = headers[":status"] as unknown as number;
          code = httpStatus === 200 ? readGrpcStatus(headers)?.code : codeFromHttpStatus(httpStatus);
        });
        stream.on("trailers", (trailers) => (code = readGrpcStatus(trailers)?.code));
        stream.on("data", (chunk: Buffer) => {
          try {
            reader.push(chunk, (_flags, data) => onStatus(fromBinary(HealthCheckResponseSchema, data).status));
          } catch {
            stream.close(http2.constants.NGHTTP2_CANCEL);
          }
        });
        stream.on("close", () => {
          signal.removeEventListener("abort", stop);
          resolve(code === Code.Unimplemented ? "unimplemented" : "broken");
        });
        stream.end(request);
      }),
  );
}
