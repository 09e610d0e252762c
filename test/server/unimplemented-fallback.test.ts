import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import * as http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService, UnimplementedService } from "../../gen/grpc/testing/test_pb.js";
import { protocolCases } from "../helpers/test-server.js";
import { type KitTestServer, startKitTestServer } from "../helpers/kit-test-service.js";
import { createRpcServer, type RpcServer } from "../../src/server/index.js";

describe("unknown methods and services", () => {
  let kit: KitTestServer;
  beforeAll(async () => {
    kit = await startKitTestServer();
  });
  afterAll(() => kit.server.close({ graceMs: 0 }));

  for (const protocol of protocolCases) {
    it(`are UNIMPLEMENTED naming the method for a connect-es client over ${protocol.name}`, async () => {
      const client = createClient(UnimplementedService, protocol.transport(kit.url));
      const error = await client.unimplementedCall({}).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.Unimplemented);
      expect(error?.rawMessage).toContain("/grpc.testing.UnimplementedService/UnimplementedCall");
    });
  }

  it("are UNIMPLEMENTED for a @grpc/grpc-js client, not INTERNAL", async () => {
    const client = new grpc.Client(new URL(kit.url).host, grpc.credentials.createInsecure());
    try {
      const status = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.makeUnaryRequest(
          "/grpc.testing.TestService/NoSuchMethod",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (error) => resolve(error),
        ),
      );
      expect(status).toMatchObject({
        code: grpc.status.UNIMPLEMENTED,
        details: "unknown method NoSuchMethod for service grpc.testing.TestService",
      });
    } finally {
      client.close();
    }
  });

  it("are a trailers-only gRPC response: HTTP 200, grpc-status 12 in the one HEADERS frame that ends the stream", async () => {
    const session = http2.connect(kit.url);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.testing.TestService/NoSuchMethod",
        "content-type": "application/grpc+proto",
        te: "trailers",
      });
      stream.end(Buffer.alloc(5));
      const headers = await new Promise<Record<string, unknown>>((resolve) =>
        stream.once("response", (h, flags) => resolve({ ...h, endStream: (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0 })),
      );
      expect(headers).toMatchObject({
        ":status": 200,
        "content-type": "application/grpc+proto",
        "grpc-status": "12",
        "grpc-message": "unknown method NoSuchMethod for service grpc.testing.TestService",
        endStream: true,
      });
    } finally {
      session.close();
    }
  });

  it("are the Connect unimplemented error over Connect unary (HTTP 501) and streaming (end-of-stream message), and a plain 404 for other requests", async () => {
    const connect = await fetch(`${kit.url}/grpc.testing.TestService/NoSuchMethod`, {
      method: "POST",
      headers: { "content-type": "application/json", "connect-protocol-version": "1" },
      body: "{}",
    });
    expect(connect.status).toBe(501);
    expect(await connect.json()).toEqual({
      code: "unimplemented",
      message: "unknown method NoSuchMethod for service grpc.testing.TestService",
    });

    const stream = await fetch(`${kit.url}/grpc.testing.TestService/NoSuchMethod`, {
      method: "POST",
      headers: { "content-type": "application/connect+json", "connect-protocol-version": "1" },
      body: new Uint8Array(5),
    });
    expect(stream.status).toBe(200);
    const body = Buffer.from(await stream.arrayBuffer());
    // One end-of-stream envelope (flag 0x02) holding the error.
    expect(body[0]).toBe(0x02);
    expect(JSON.parse(body.subarray(5, 5 + body.readUInt32BE(1)).toString())).toEqual({
      error: { code: "unimplemented", message: "unknown method NoSuchMethod for service grpc.testing.TestService" },
    });

    const browser = await fetch(`${kit.url}/grpc.testing.TestService/NoSuchMethod`);
    expect(browser.status).toBe(404);
    expect(browser.headers.get("content-type")).toBeNull();
    const form = await fetch(`${kit.url}/not/an/rpc/path`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(form.status).toBe(404);
  });

  it("are UNIMPLEMENTED on a server with no services of its own, and a method of a registered service that its implementation leaves out is too", async () => {
    const bare: RpcServer = createRpcServer({ reflection: false });
    const { url } = await bare.listen();
    try {
      const error = await createClient(TestService, protocolCases[0]!.transport(url))
        .emptyCall({})
        .catch((e: unknown) => ConnectError.from(e));
      expect(error).toMatchObject({
        code: Code.Unimplemented,
        rawMessage: "unknown service grpc.testing.TestService (calling /grpc.testing.TestService/EmptyCall)",
      });
      expect(bare.services).toEqual(["grpc.health.v1.Health"]);
    } finally {
      await bare.close({ graceMs: 0 });
    }
    const leftOut = await createClient(TestService, protocolCases[0]!.transport(kit.url))
      .unimplementedCall({})
      .catch((e: unknown) => ConnectError.from(e));
    expect(leftOut).toMatchObject({ code: Code.Unimplemented });
  });
});
