import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

// A grpc.testing.TestService server on @grpc/grpc-js, written from the
// "Server" section of grpc/grpc doc/interop-test-descriptions.md: the third
// independent gRPC stack our client runs the interop cases against. It loads
// the same .proto files at run time (proto-loader), so no generated code of
// ours is involved on the server side.

const PROTO_ROOT = fileURLToPath(new URL("../../../proto", import.meta.url));
const ECHO_INITIAL_KEY = "x-grpc-test-echo-initial";
const ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin";
/** PayloadType.COMPRESSABLE, the only payload type the interop server must support. */
const COMPRESSABLE = 0;

// The fields of the grpc.testing messages this server reads, as proto-loader
// decodes them (camelCase, enums as numbers, defaults filled in).
interface Payload {
  type: number;
  body: Buffer;
}
interface EchoStatus {
  code: number;
  message: string;
}
interface ResponseParameters {
  size: number;
  intervalUs: number;
}
interface SimpleRequest {
  responseType: number;
  responseSize: number;
  responseStatus: EchoStatus | null;
}
interface StreamingInputCallRequest {
  payload: Payload | null;
}
interface StreamingOutputCallRequest {
  responseType: number;
  responseParameters: ResponseParameters[];
  responseStatus: EchoStatus | null;
}
type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;
type OutputStream = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** A running grpc-js TestService server on a loopback port. */
export interface GrpcJsTestServer {
  port: number;
  /** Stops accepting calls and ends the open ones. */
  stop(): Promise<void>;
}

/** Starts a grpc-js TestService server on 127.0.0.1, on a port the OS picks. */
export async function startGrpcJsTestServer(): Promise<GrpcJsTestServer> {
  const definition = protoLoader.loadSync("grpc/testing/test.proto", {
    includeDirs: [PROTO_ROOT],
    defaults: true,
    enums: Number,
    longs: Number,
  });
  const server = new grpc.Server();
  // UnimplementedCall and CacheableUnaryCall are left out: grpc-js answers
  // them UNIMPLEMENTED, as it does the UnimplementedService never added.
  server.addService(definition["grpc.testing.TestService"] as grpc.ServiceDefinition, {
    EmptyCall: emptyCall,
    UnaryCall: unaryCall,
    StreamingInputCall: streamingInputCall,
    StreamingOutputCall: streamingOutputCall,
    FullDuplexCall: (call: grpc.ServerDuplexStream<StreamingOutputCallRequest, unknown>) => duplexCall(call, false),
    HalfDuplexCall: (call: grpc.ServerDuplexStream<StreamingOutputCallRequest, unknown>) => duplexCall(call, true),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        // Open calls get 2 s to end on their own, then are cut.
        const force = setTimeout(() => server.forceShutdown(), 2_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

function emptyCall(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<object>): void {
  callback(null, {});
}

function unaryCall(call: grpc.ServerUnaryCall<SimpleRequest, unknown>, callback: grpc.sendUnaryData<object>): void {
  echoInitialMetadata(call);
  const trailer = echoedTrailer(call);
  const error = requestedError(call.request.responseStatus, trailer) ?? unsupportedType(call.request.responseType, trailer);
  if (error) {
    callback(error);
    return;
  }
  callback(null, { payload: { type: COMPRESSABLE, body: Buffer.alloc(call.request.responseSize) } }, trailer);
}

function streamingInputCall(
  call: grpc.ServerReadableStream<StreamingInputCallRequest, unknown>,
  callback: grpc.sendUnaryData<object>,
): void {
  let aggregatedPayloadSize = 0;
  call.on("data", (request: StreamingInputCallRequest) => (aggregatedPayloadSize += request.payload?.body.length ?? 0));
  call.on("end", () => callback(null, { aggregatedPayloadSize }));
}

async function streamingOutputCall(call: grpc.ServerWritableStream<StreamingOutputCallRequest, unknown>): Promise<void> {
  echoInitialMetadata(call);
  const trailer = echoedTrailer(call);
  const cancelled = whenCancelled(call);
  if (await respond(call, call.request, trailer, cancelled)) call.end(trailer);
}

/**
 * FullDuplexCall answers each request as it arrives; HalfDuplexCall buffers
 * them all until the half-close. Either way requests are answered in order,
 * and an echoed status ends the call, ignoring the requests after it.
 */
function duplexCall(call: grpc.ServerDuplexStream<StreamingOutputCallRequest, unknown>, buffered: boolean): void {
  echoInitialMetadata(call);
  const trailer = echoedTrailer(call);
  const cancelled = whenCancelled(call);
  const pending: StreamingOutputCallRequest[] = [];
  let open = true;
  // One request at a time: each waits for the previous one's responses.
  let queue = Promise.resolve();
  const answer = (request: StreamingOutputCallRequest) => {
    queue = queue.then(async () => {
      if (open) open = await respond(call, request, trailer, cancelled);
    });
  };
  call.on("data", (request: StreamingOutputCallRequest) => (buffered ? pending.push(request) : answer(request)));
  call.on("end", () => {
    pending.forEach(answer);
    queue = queue.then(() => {
      if (open) call.end(trailer);
    });
  });
}

/**
 * Sends the responses `request` asks for, each after its `interval_us`, and
 * says whether the call is still open: false once it failed with a requested
 * status, an unsupported payload type, or was cancelled.
 */
async function respond(
  call: OutputStream,
  request: StreamingOutputCallRequest,
  trailer: grpc.Metadata,
  cancelled: AbortSignal,
): Promise<boolean> {
  const error = requestedError(request.responseStatus, trailer) ?? unsupportedType(request.responseType, trailer);
  if (error) {
    // grpc-js turns an 'error' event on a server stream into the call's status.
    call.emit("error", error);
    return false;
  }
  for (const { size, intervalUs } of request.responseParameters) {
    if (intervalUs > 0) await sleep(intervalUs / 1_000, undefined, { signal: cancelled }).catch(() => {});
    if (cancelled.aborted) return false;
    // grpc-js buffers what flow control holds back; the interop payloads are small enough.
    call.write({ payload: { type: COMPRESSABLE, body: Buffer.alloc(size) } });
  }
  return !cancelled.aborted;
}

/** Aborts when the client cancels or the deadline passes, so interval sleeps stop at once. */
function whenCancelled(call: OutputStream): AbortSignal {
  const abort = new AbortController();
  call.on("cancelled", () => abort.abort());
  return abort.signal;
}

/** Sends back `x-grpc-test-echo-initial` as initial metadata, if the client sent it. */
function echoInitialMetadata(call: Call | grpc.ServerDuplexStream<unknown, unknown>): void {
  const [value] = call.metadata.get(ECHO_INITIAL_KEY);
  if (value === undefined) return;
  const header = new grpc.Metadata();
  header.set(ECHO_INITIAL_KEY, value);
  call.sendMetadata(header);
}

/** The trailers to end the call with: `x-grpc-test-echo-trailing-bin`, if the client sent it. */
function echoedTrailer(call: Call | grpc.ServerDuplexStream<unknown, unknown>): grpc.Metadata {
  const trailer = new grpc.Metadata();
  const [value] = call.metadata.get(ECHO_TRAILING_KEY);
  if (value !== undefined) trailer.set(ECHO_TRAILING_KEY, value);
  return trailer;
}

/** The error a request's `response_status` asks for (Echo Status), if any. */
function requestedError(status: EchoStatus | null, trailer: grpc.Metadata): grpc.ServiceError | undefined {
  if (status === null || status.code === 0) return undefined;
  return serviceError(status.code, status.message, trailer);
}

/** INVALID_ARGUMENT for a payload type other than COMPRESSABLE, as the UnaryCall feature requires. */
function unsupportedType(responseType: number, trailer: grpc.Metadata): grpc.ServiceError | undefined {
  if (responseType === COMPRESSABLE) return undefined;
  return serviceError(grpc.status.INVALID_ARGUMENT, `unsupported response_type ${responseType}`, trailer);
}

function serviceError(code: grpc.status, details: string, metadata: grpc.Metadata): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata });
}
