import { createGrpcTransport } from "@connectrpc/connect-node";
import { createHealthClient, ServingStatus } from "../../client/health-client.js";
import { UnimplementedError } from "../../errors/index.js";
import type { Endpoint } from "./endpoint.js";

/**
 * Client-side health checking of one endpoint (gRFC A17): the health
 * client's reconnecting Health/Watch, over a transport pinned to the
 * endpoint's own connections, reports SERVING or not (a broken stream reads
 * UNKNOWN, so not serving, until it is back); an endpoint without the
 * health service (UNIMPLEMENTED) counts as serving and is not asked again.
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
        // A background stream: it neither keeps the process alive nor the connection busy.
        return (await endpoint.connection()).request(method, path, headers, options, true);
      },
      notifyResponseByteRead() {},
    },
  });
  try {
    // gRPC's connection backoff bounds, as for reconnecting the endpoint itself.
    for await (const status of createHealthClient(transport).watch(service, {
      signal,
      initialBackoffMs: 1_000,
      maxBackoffMs: 120_000,
    })) {
      onServing(status === ServingStatus.SERVING);
    }
  } catch (e) {
    if (e instanceof UnimplementedError) onServing(true);
  }
}
