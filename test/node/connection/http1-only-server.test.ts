import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { createTransport, type NodeTransport, type Protocol, UnavailableError } from "../../../src/node/index.js";
import { rejection } from "../../helpers/test-server.js";

// gRPC-Web proxies (grpcwebproxy, Envoy's HTTP/1.1 listeners) speak HTTP/1.1
// only; our HTTP/2 default then fails with nghttp2's bare "Protocol error" (issue 15 item 6).

describe("a server that speaks HTTP/1.1 only", () => {
  let server: http.Server | undefined;
  const transports: NodeTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close({ graceMs: 0 })));
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  async function startHttp1Server(): Promise<string> {
    server = http.createServer((_req, res) => res.end("HTTP/1.1 only"));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it.each(["grpc-web", "connect", "grpc"] as Protocol[])(
    "fails a %s call over the default HTTP/2 with UNAVAILABLE saying to set httpVersion",
    async (protocol) => {
      const baseUrl = await startHttp1Server();
      const transport = createTransport({ baseUrl, protocol, retry: false });
      transports.push(transport);
      const error = await rejection(createClient(Health, transport).check({}, { timeoutMs: 5_000 }));
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error.rawMessage).toContain(`cannot connect to ${baseUrl}`);
      expect(error.rawMessage).toContain('set httpVersion: "1.1"');
    },
  );
});
