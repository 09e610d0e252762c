import { Code, ConnectError, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { EchoStatus } from "../../gen/grpc/testing/messages_pb.js";
import { TestService } from "../../gen/grpc/testing/test_pb.js";
import { createRpcServer, type RpcServer, type RpcServerOptions } from "../../src/server/index.js";

// grpc.testing.TestService on our own server kit (createRpcServer), with
// reflection on: a service that is not users, for the tools that discover a
// schema at run time (userctl list/describe/call, grpcurl, buf curl). The
// shapes follow doc/interop-test-descriptions.md, kept to what the tests use:
// payloads of the asked sizes, response_status echoed as the call's status.

/**
 * Fails with `status` when it is set (interop "status_code_and_message"); an
 * INVALID_ARGUMENT carries a google.rpc.BadRequest, to show rich details.
 */
function echoStatus(status: EchoStatus | undefined): void {
  if (!status || status.code === 0) return;
  const details =
    status.code === Code.InvalidArgument
      ? [{ desc: BadRequestSchema, value: { fieldViolations: [{ field: "response_status", description: status.message }] } }]
      : [];
  throw new ConnectError(status.message, status.code as Code, undefined, details);
}

const zeros = (size: number) => ({ body: new Uint8Array(size) });

export const kitTestService: Partial<ServiceImpl<typeof TestService>> = {
  emptyCall: () => ({}),
  unaryCall(req) {
    echoStatus(req.responseStatus);
    return { payload: zeros(req.responseSize), username: req.fillUsername ? "kit-user" : "" };
  },
  async *streamingOutputCall(req) {
    for (const p of req.responseParameters) yield { payload: zeros(p.size) };
    echoStatus(req.responseStatus);
  },
  async streamingInputCall(requests) {
    let size = 0;
    for await (const r of requests) size += r.payload?.body.length ?? 0;
    return { aggregatedPayloadSize: size };
  },
  async *fullDuplexCall(requests) {
    for await (const r of requests) {
      echoStatus(r.responseStatus);
      for (const p of r.responseParameters) yield { payload: zeros(p.size) };
    }
  },
  // UnimplementedCall is left out on purpose: connect answers it UNIMPLEMENTED.
};

/** A running kit server with TestService, reflection and health. */
export interface KitTestServer {
  server: RpcServer;
  url: string;
}

/** Starts TestService on createRpcServer on a loopback port 0; `await server.close()` when done. */
export async function startKitTestServer(options: RpcServerOptions & { interceptors?: Interceptor[] } = {}): Promise<KitTestServer> {
  const server = createRpcServer({ routes: (router) => router.service(TestService, kitTestService), graceMs: 500, ...options });
  const { url } = await server.listen(0, "127.0.0.1");
  return { server, url };
}
