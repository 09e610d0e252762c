import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import * as http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { CreateUserRequestSchema, GetUserRequestSchema, UserService } from "../../gen/user/v1/user_service_pb.js";
import { encodeGrpcMessage, normalizeGrpcMessage } from "../../src/server/grpc-message-encoding.js";
import { createTransport } from "../../src/node/create-transport.js";
import { type RunningServer, startServer, TEST_TOKEN } from "../helpers/test-server.js";

describe("encodeGrpcMessage", () => {
  it("leaves printable ASCII as is, reserved URI characters included", () => {
    expect(encodeGrpcMessage('invalid argument: email: must contain "@"; name: /?#&=+')).toBe(
      'invalid argument: email: must contain "@"; name: /?#&=+',
    );
  });

  it("encodes percent, control characters and non-ASCII as UTF-8 bytes", () => {
    expect(encodeGrpcMessage("100% café\n\u{1F600}")).toBe("100%25 caf%C3%A9%0A%F0%9F%98%80");
  });
});

describe("normalizeGrpcMessage", () => {
  it("turns an encodeURIComponent value into the minimal form", () => {
    const message = 'user café: 100%3A "@"; ok';
    expect(normalizeGrpcMessage(encodeURIComponent(message))).toBe(encodeGrpcMessage(message));
  });

  it("leaves a value that is not valid percent-encoding unchanged", () => {
    expect(normalizeGrpcMessage("broken %E0%A4%A")).toBe("broken %E0%A4%A");
  });
});

/** The grpc-message a raw HTTP/2 gRPC call gets, from trailers or a trailers-only response. */
async function rawGrpcMessage<D extends DescMessage>(
  url: string,
  method: string,
  schema: D,
  init: MessageInitShape<D>,
): Promise<string | undefined> {
  const body = toBinary(schema, create(schema, init));
  const frame = Buffer.alloc(5 + body.byteLength);
  frame.writeUInt32BE(body.byteLength, 1);
  frame.set(body, 5);
  const session = http2.connect(url);
  try {
    return await new Promise((resolve, reject) => {
      session.on("error", reject);
      const stream = session.request({
        ":method": "POST",
        ":path": `/user.v1.UserService/${method}`,
        "content-type": "application/grpc",
        te: "trailers",
        authorization: `Bearer ${TEST_TOKEN}`,
      });
      let message: string | undefined;
      const take = (headers: http2.IncomingHttpHeaders) => {
        const value = headers["grpc-message"];
        if (typeof value === "string") message = value;
      };
      stream.on("response", take);
      stream.on("trailers", take);
      stream.on("error", reject);
      stream.on("close", () => resolve(message));
      stream.resume();
      stream.end(frame);
    });
  } finally {
    session.close();
  }
}

/** The grpc-message in the trailer frame of a raw gRPC-Web call over HTTP/1.1. */
async function rawGrpcWebMessage(url: string, userId: string): Promise<string | undefined> {
  const body = toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { userId }));
  const frame = Buffer.alloc(5 + body.byteLength);
  frame.writeUInt32BE(body.byteLength, 1);
  frame.set(body, 5);
  const res = await fetch(`${url}/user.v1.UserService/GetUser`, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", authorization: `Bearer ${TEST_TOKEN}` },
    body: frame,
  });
  const headerValue = res.headers.get("grpc-message");
  if (headerValue !== null) return headerValue;
  let bytes = Buffer.from(await res.arrayBuffer());
  while (bytes.length >= 5) {
    const length = bytes.readUInt32BE(1);
    if (bytes[0] === 0x80) {
      const line = bytes
        .subarray(5, 5 + length)
        .toString("latin1")
        .split("\r\n")
        .find((l) => l.toLowerCase().startsWith("grpc-message:"));
      return line?.slice("grpc-message:".length).trim();
    }
    bytes = bytes.subarray(5 + length);
  }
  return undefined;
}

describe("grpc-message on the wire", () => {
  let s: RunningServer;
  afterEach(async () => {
    await s.server.close();
  });

  it("sends an invalid CreateUser message that decodeURI and decodeURIComponent both read right", async () => {
    s = await startServer();
    const raw = await rawGrpcMessage(s.url, "CreateUser", CreateUserRequestSchema, { email: "not-an-email", name: "" });
    expect(raw).toMatch(/^invalid argument: email: must contain "@"; name: /);
    expect(decodeURI(raw!)).toBe(raw);
    expect(decodeURIComponent(raw!)).toBe(raw);
  });

  it("percent-encodes non-ASCII user input as UTF-8 and nothing else", async () => {
    s = await startServer();
    const raw = await rawGrpcMessage(s.url, "GetUser", GetUserRequestSchema, { userId: "café: 100%" });
    expect(raw).toBe("user caf%C3%A9: 100%25 not found");
    expect(decodeURI(raw!)).toBe(decodeURIComponent(raw!));
    expect(decodeURIComponent(raw!)).toBe("user café: 100% not found");
  });

  it("rewrites the trailer frame in a gRPC-Web body too", async () => {
    s = await startServer();
    const raw = await rawGrpcWebMessage(s.url, "café: 100%");
    expect(raw).toBe("user caf%C3%A9: 100%25 not found");
  });
});

describe("our own client over every protocol", () => {
  let s: RunningServer;
  afterEach(async () => {
    await s.server.close();
  });

  for (const protocol of ["grpc", "grpc-web", "connect"] as const) {
    it(`reads the exact message over ${protocol}`, async () => {
      s = await startServer();
      const users = createClient(UserService, createTransport({ baseUrl: s.url, protocol, auth: TEST_TOKEN, retry: false }));
      const userId = "café: 100%3A é";
      const error = await users.getUser({ userId }).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.rawMessage).toBe(`user ${userId} not found`);
    });
  }
});
