import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import type { Endpoint } from "./endpoint.js";

const initialBackoffMs = 1_000;
const maxBackoffMs = 120_000;

/**
 * Client-side health checking of one endpoint (gRFC A17): a
 * grpc.health.v1.Health/Watch stream on the endpoint's own connection
 * reports SERVING or not; a failed stream counts as not serving and is
 * reopened with backoff; an endpoint without the health service
 * (UNIMPLEMENTED) counts as serving and is not asked again.
 */
export async function watchEndpointHealth(
  endpoint: Endpoint,
  service: string,
  signal: AbortSignal,
  onServing: (serving: boolean) => void,
): Promise<void> {
  const transport = createGrpcTransport({
    baseUrl: endpoint.origin,
    sessionManager: {
      authority: endpoint.origin,
      async request(method, path, headers, options) {
        return (await endpoint.connection()).request(method, path, headers, options, true);
      },
      notifyResponseByteRead() {},
    },
  });
  const health = createClient(Health, transport);
  let backoffMs = initialBackoffMs;
  while (!signal.aborted) {
    try {
      for await (const response of health.watch({ service }, { signal })) {
        onServing(response.status === HealthCheckResponse_ServingStatus.SERVING);
        backoffMs = initialBackoffMs;
      }
    } catch (e) {
      if (signal.aborted) return;
      if (ConnectError.from(e).code === Code.Unimplemented) {
        onServing(true);
        return;
      }
    }
    onServing(false);
    await sleep(backoffMs * (0.8 + Math.random() * 0.4), signal);
    backoffMs = Math.min(backoffMs * 1.6, maxBackoffMs);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
