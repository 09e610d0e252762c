import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ServerReflection,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1Alpha,
  ServerReflectionResponseSchema as ResponseV1AlphaSchema,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { type KitTestServer, startKitTestServer } from "../helpers/kit-test-service.js";

type Request = MessageInitShape<typeof ServerReflectionRequestSchema>["messageRequest"];

describe("server reflection on the server kit", () => {
  let kit: KitTestServer;
  beforeAll(async () => {
    kit = await startKitTestServer({ token: "secret" });
  });
  afterAll(() => kit.server.close({ graceMs: 0 }));

  /** Sends each request on one stream (v1alpha answers are typed as v1: the same shape), as one client session, and returns the responses in order. */
  async function ask(requests: Request[], service: typeof ServerReflection | typeof ServerReflectionV1Alpha = ServerReflection) {
    const client = createClient(service as typeof ServerReflection, createGrpcTransport({ baseUrl: kit.url }));
    async function* stream() {
      for (const messageRequest of requests) yield { host: "h", messageRequest } as ServerReflectionRequest;
    }
    const out: ServerReflectionResponse[] = [];
    for await (const response of client.serverReflectionInfo(stream(), { timeoutMs: 5000 })) out.push(response);
    return out;
  }
  const fileNames = (r: ServerReflectionResponse | undefined) =>
    r?.messageResponse.case === "fileDescriptorResponse"
      ? r.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name)
      : r?.messageResponse;

  it("lists every registered service, health and reflection included, without a token", async () => {
    const [list] = await ask([{ case: "listServices", value: "" }]);
    expect(list?.messageResponse).toEqual({
      case: "listServicesResponse",
      value: expect.objectContaining({
        service: [
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
          "grpc.testing.TestService",
        ].map((name) => expect.objectContaining({ name })),
      }),
    });
    expect(list?.validHost).toBe("h");
  });

  it("sends a file with its imports, transitively, and leaves out files already sent on the stream", async () => {
    const [byName, bySymbol, again] = await ask([
      { case: "fileByFilename", value: "grpc/testing/test.proto" },
      { case: "fileContainingSymbol", value: "grpc.testing.SimpleRequest" },
      { case: "fileContainingSymbol", value: "grpc.testing.TestService.UnaryCall" },
    ]);
    expect(fileNames(byName)).toEqual(["grpc/testing/test.proto", "grpc/testing/empty.proto", "grpc/testing/messages.proto"]);
    expect(fileNames(bySymbol)).toEqual(["grpc/testing/messages.proto"]);
    expect(fileNames(again)).toEqual(["grpc/testing/test.proto"]);
  });

  it("sends files a client can build a registry from: the schema needs nothing else", async () => {
    const [response] = await ask([{ case: "fileContainingSymbol", value: "grpc.testing.TestService" }]);
    const protos =
      response?.messageResponse.case === "fileDescriptorResponse"
        ? response.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b))
        : [];
    const registry = createFileRegistry(protos[0]!, (name) => protos.find((p) => p.name === name));
    expect(registry.getService("grpc.testing.TestService")?.methods.map((m) => m.name)).toContain("FullDuplexCall");
    expect(registry.getMessage("grpc.testing.StreamingOutputCallRequest")?.field.responseParameters).toBeDefined();
  });

  it("answers an unknown file, symbol or type with a NOT_FOUND error response and keeps the stream open", async () => {
    const responses = await ask([
      { case: "fileByFilename", value: "no/such.proto" },
      { case: "fileContainingSymbol", value: "no.Such" },
      { case: "allExtensionNumbersOfType", value: "no.Such" },
      { case: "fileContainingExtension", value: { containingType: "grpc.testing.Empty", extensionNumber: 100 } },
      { case: "allExtensionNumbersOfType", value: "grpc.testing.Empty" },
    ]);
    expect(responses.map((r) => r.messageResponse.case === "errorResponse" && r.messageResponse.value.errorCode)).toEqual([
      5,
      5,
      5,
      5,
      false,
    ]);
    expect(responses[1]?.messageResponse.value).toMatchObject({ errorMessage: 'symbol "no.Such" not found' });
    expect(responses[4]?.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "grpc.testing.Empty", extensionNumber: [] },
    });
  });

  it("answers v1alpha exactly as v1", async () => {
    const requests: Request[] = [
      { case: "listServices", value: "" },
      { case: "fileContainingSymbol", value: "grpc.testing.TestService" },
    ];
    const [v1, alpha] = await Promise.all([ask(requests), ask(requests, ServerReflectionV1Alpha)]);
    // The same bytes on the wire: the two versions differ only in their package.
    expect(alpha.map((r) => toBinary(ResponseV1AlphaSchema, r as unknown as MessageShape<typeof ResponseV1AlphaSchema>))).toEqual(
      v1.map((r) => toBinary(ServerReflectionResponseSchema, r)),
    );
  });

  it("finds extensions of the files given as reflectionFiles, by extendee and number", async () => {
    // A proto2 file with an extendable message and one extension of it.
    const proto = create(FileDescriptorProtoSchema, {
      name: "ext/v1/ext.proto",
      package: "ext.v1",
      syntax: "proto2",
      messageType: [{ name: "Base", extensionRange: [{ start: 100, end: 200 }] }],
      extension: [{ name: "tag", number: 100, label: 1, type: 5, extendee: ".ext.v1.Base" }],
    });
    const file = createFileRegistry(proto, () => undefined).getFile("ext/v1/ext.proto")!;
    const withExtensions = await startKitTestServer({ reflectionFiles: [file] });
    try {
      const client = createClient(ServerReflection, createGrpcTransport({ baseUrl: withExtensions.url }));
      async function* requests() {
        yield create(ServerReflectionRequestSchema, { messageRequest: { case: "allExtensionNumbersOfType", value: "ext.v1.Base" } });
        yield create(ServerReflectionRequestSchema, {
          messageRequest: { case: "fileContainingExtension", value: { containingType: "ext.v1.Base", extensionNumber: 100 } },
        });
        yield create(ServerReflectionRequestSchema, { messageRequest: { case: "fileContainingSymbol", value: "ext.v1.tag" } });
      }
      const responses: ServerReflectionResponse[] = [];
      for await (const r of client.serverReflectionInfo(requests(), { timeoutMs: 5000 })) responses.push(r);
      expect(responses[0]?.messageResponse).toMatchObject({
        case: "allExtensionNumbersResponse",
        value: { baseTypeName: "ext.v1.Base", extensionNumber: [100] },
      });
      expect(fileNames(responses[1])).toEqual(["ext/v1/ext.proto"]);
      expect(fileNames(responses[2])).toEqual(["ext/v1/ext.proto"]);
    } finally {
      await withExtensions.server.close({ graceMs: 0 });
    }
  });
});
