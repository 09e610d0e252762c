import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1Alpha,
  ServerReflectionRequestSchema as RequestV1AlphaSchema,
  ServerReflectionResponseSchema as ResponseV1AlphaSchema,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** A gRPC server reflection client: v1, or v1alpha for servers that only have that. */
export interface ReflectionClient {
  /** The fully-qualified names of the server's services. */
  listServices(): Promise<string[]>;
  /** The file declaring `symbol` and every file it imports, transitively, by name. */
  filesContainingSymbol(symbol: string): Promise<Map<string, FileDescriptorProto>>;
}

type Lookup = ServerReflectionRequest["messageRequest"];

/** How many rounds of asking for missing imports before giving up (a server that omits files). */
const MAX_IMPORT_ROUNDS = 8;

/**
 * Creates a reflection client on `transport`, so lookups get the same auth,
 * deadline and retries as any call. `callOptions` go with each lookup.
 */
export function createReflectionClient(transport: Transport, callOptions: { signal?: AbortSignal; timeoutMs?: number }): ReflectionClient {
  let version: "v1" | "v1alpha" = "v1";

  /** Sends `lookups` on one stream and returns one response each, in order. */
  async function ask(lookups: Lookup[]): Promise<ServerReflectionResponse[]> {
    try {
      return await askWith(version, lookups);
    } catch (e) {
      // A server with only the older version (or none) says UNIMPLEMENTED to v1.
      if (version === "v1" && ConnectError.from(e).code === Code.Unimplemented) {
        version = "v1alpha";
        return await askWith(version, lookups).catch((e2: unknown) => {
          throw noReflection(ConnectError.from(e2));
        });
      }
      throw e;
    }
  }

  async function askWith(v: "v1" | "v1alpha", lookups: Lookup[]): Promise<ServerReflectionResponse[]> {
    const requests = lookups.map((messageRequest) => create(ServerReflectionRequestSchema, { messageRequest }));
    const out: ServerReflectionResponse[] = [];
    if (v === "v1") {
      const client = createClient(ServerReflection, transport);
      for await (const r of client.serverReflectionInfo(fromArray(requests), callOptions)) out.push(r);
    } else {
      // The two versions are the same messages on the wire.
      const client = createClient(ServerReflectionV1Alpha, transport);
      const alpha = requests.map((r) => fromBinary(RequestV1AlphaSchema, toBinary(ServerReflectionRequestSchema, r)));
      for await (const r of client.serverReflectionInfo(fromArray(alpha), callOptions)) {
        out.push(fromBinary(ServerReflectionResponseSchema, toBinary(ResponseV1AlphaSchema, r)));
      }
    }
    if (out.length !== lookups.length) {
      throw new ConnectError(`reflection answered ${out.length} of ${lookups.length} lookups`, Code.Internal);
    }
    return out;
  }

  return {
    async listServices() {
      const [response] = await ask([{ case: "listServices", value: "" }]);
      const r = response!.messageResponse;
      if (r.case === "errorResponse") throw lookupError(r.value);
      if (r.case !== "listServicesResponse") throw unexpected(r.case);
      return r.value.service.map((s) => s.name);
    },

    async filesContainingSymbol(symbol) {
      const files = new Map<string, FileDescriptorProto>();
      const add = (response: ServerReflectionResponse) => {
        const r = response.messageResponse;
        if (r.case === "errorResponse") throw lookupError(r.value);
        if (r.case !== "fileDescriptorResponse") throw unexpected(r.case);
        for (const bytes of r.value.fileDescriptorProto) {
          const file = fromBinary(FileDescriptorProtoSchema, bytes);
          files.set(file.name, file);
        }
      };
      (await ask([{ case: "fileContainingSymbol", value: symbol }])).forEach(add);
      // A server may leave out imports it believes we have: ask for them by name.
      for (let round = 0; round < MAX_IMPORT_ROUNDS; round++) {
        const missing = [...new Set([...files.values()].flatMap((f) => f.dependency))].filter((d) => !files.has(d));
        if (missing.length === 0) return files;
        (await ask(missing.map((value) => ({ case: "fileByFilename" as const, value })))).forEach(add);
      }
      throw new ConnectError(`reflection did not send every file "${symbol}" imports`, Code.Internal);
    },
  };
}

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

function lookupError(e: { errorCode: number; errorMessage: string }): ConnectError {
  return new ConnectError(`reflection: ${e.errorMessage}`, e.errorCode as Code);
}

function unexpected(kind: string | undefined): ConnectError {
  return new ConnectError(`reflection answered with ${kind ?? "nothing"}`, Code.Internal);
}

function noReflection(error: ConnectError): ConnectError {
  if (error.code !== Code.Unimplemented) return error;
  return new ConnectError(
    "the server has no gRPC server reflection: give the schema with --proto FILE (and --import-path DIR) or --descriptor-set FILE",
    Code.Unimplemented,
    undefined,
    undefined,
    error,
  );
}
