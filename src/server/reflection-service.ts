import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import {
  type ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  type ServerReflection as ServerReflectionV1Alpha,
  ServerReflectionRequestSchema as RequestV1AlphaSchema,
  ServerReflectionResponseSchema as ResponseV1AlphaSchema,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { ReflectionIndex } from "./reflection-index.js";

type Response = MessageInitShape<typeof ServerReflectionResponseSchema>;

/**
 * The grpc.reflection.v1.ServerReflection handler over an index: each
 * request on the stream gets one response, in order. A failed lookup is an
 * `error_response` (NOT_FOUND, ...) and the stream goes on, as the spec asks.
 * Files already sent on the stream are not sent again as dependencies.
 */
export function createReflectionService(index: ReflectionIndex): ServiceImpl<typeof ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, ...answer(index, request, sent) };
      }
    },
  };
}

/**
 * The same handler for grpc.reflection.v1alpha, which many clients (grpcio's
 * among them) still ask for. The two versions are the same messages on the
 * wire, so each message is converted by re-reading its bytes.
 */
export function createReflectionServiceV1Alpha(index: ReflectionIndex): ServiceImpl<typeof ServerReflectionV1Alpha> {
  const v1 = createReflectionService(index);
  return {
    async *serverReflectionInfo(requests, context) {
      async function* asV1() {
        for await (const r of requests) yield fromBinary(ServerReflectionRequestSchema, toBinary(RequestV1AlphaSchema, r));
      }
      for await (const response of v1.serverReflectionInfo(asV1(), context)) {
        const message = create(ServerReflectionResponseSchema, response);
        yield fromBinary(ResponseV1AlphaSchema, toBinary(ServerReflectionResponseSchema, message));
      }
    },
  };
}

function answer(index: ReflectionIndex, request: ServerReflectionRequest, sent: Set<string>): Response {
  const files = (file: Parameters<ReflectionIndex["serializeWithDependencies"]>[0] | undefined, what: string): Response =>
    file === undefined
      ? error(Code.NotFound, `${what} not found`)
      : {
          messageResponse: {
            case: "fileDescriptorResponse",
            value: { fileDescriptorProto: index.serializeWithDependencies(file, sent) },
          },
        };
  const r = request.messageRequest;
  switch (r.case) {
    case "fileByFilename":
      return files(index.fileByName(r.value), `file "${r.value}"`);
    case "fileContainingSymbol":
      return files(index.fileContainingSymbol(r.value), `symbol "${r.value}"`);
    case "fileContainingExtension":
      return files(
        index.fileContainingExtension(r.value.containingType, r.value.extensionNumber),
        `extension ${r.value.extensionNumber} of "${r.value.containingType}"`,
      );
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbers(r.value);
      if (numbers === undefined) return error(Code.NotFound, `message type "${r.value}" not found`);
      return {
        messageResponse: {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: r.value.replace(/^\./, ""), extensionNumber: numbers },
        },
      };
    }
    case "listServices":
      return {
        messageResponse: {
          case: "listServicesResponse",
          value: { service: index.services().map((name) => ({ name })) },
        },
      };
    case undefined:
      return error(Code.InvalidArgument, "the request names no lookup (message_request is not set)");
  }
}

function error(code: Code, message: string): Response {
  return { messageResponse: { case: "errorResponse", value: { errorCode: code, errorMessage: message } } };
}
