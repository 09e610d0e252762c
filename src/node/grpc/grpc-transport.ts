import type * as http2 from "node:http2";
import type { DescMessage, DescMethodStreaming, DescMethodUnary, MessageShape, Registry } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import type { CallPolicy } from "../../call/call-policy.js";
import { callHeaderFields } from "../../call/call-header-fields.js";
import { chainInterceptors, neverAborted, streamRequest, unaryRequest } from "../../call/interceptor-chain.js";
import { createAttemptRunner } from "../../call/run-attempts.js";
import { createTransportCalls } from "../../call/transport-calls.js";
import { typedMessages } from "../../call/typed-messages.js";
import { toTypedError } from "../../errors/to-typed-error.js";
import { encodeGrpcTimeout } from "../../interceptors/timeout-header.js";
import { isRetryEligible } from "../../interceptors/retry-plan.js";
import type { ConnectionPool } from "../connection/connection-pool.js";
import type { Http2Connection } from "../connection/http2-connection.js";
import { encodeEnvelope } from "./envelope.js";
import type { GrpcCall } from "../../call/grpc-call.js";
import { metadataFromNode } from "./grpc-status.js";
import { errorFromHttp2Failure } from "./http2-error.js";
import { compressMessage, type SendEncoding } from "./message-compression.js";
import { createMethodWires, type MethodWire } from "./method-wire.js";
import { assignHeadersInit, type HeaderFields } from "../../protocol/header-fields.js";
import { copyFields, headersFromOutgoing, outgoingFromHeaders } from "./node-headers.js";
import { pumpRequests, ResponseStream } from "./stream-exchange.js";
import { exchangeUnary } from "./unary-exchange.js";
import { parseResponse } from "../../protocol/parse-response.js";

type Message = MessageShape<DescMessage>;

/** Options of {@link createGrpcTransport}; `createTransport` resolves every default. */
export interface GrpcTransportOptions {
  /** The target's base URL (origin and optional path prefix). */
  baseUrl: string;
  pool: ConnectionPool;
  policy: CallPolicy;
  /** Interceptors that see the whole call (telemetry, logging), outermost first. */
  callInterceptors: readonly Interceptor[];
  /** Your interceptors: they run per attempt, innermost, seeing the final headers. */
  attemptInterceptors: readonly Interceptor[];
  readMaxBytes: number;
  writeMaxBytes: number | undefined;
  sendEncoding: SendEncoding | undefined;
  compressMinBytes: number;
  userAgent: string;
  /** Speak `application/grpc+json` instead of binary protobuf. */
  json: { readonly registry: Registry | undefined } | undefined;
}

/** Our gRPC transport: a connect `Transport` you can close, with its call count. */
export interface GrpcTransport extends Transport {
  /** Calls in flight right now (a response stream counts until it is read to the end, abandoned or cancelled). */
  activeCalls(): number;
  /** New calls fail at once; calls in flight get `graceMs` to finish, then are cancelled. */
  close(graceMs: number): Promise<void>;
}

/**
 * A gRPC transport of our own over `node:http2`: one call object per RPC
 * that owns the deadline, cancellation and attempts, with the built-in
 * policies (deadline, retries, auth, correlation, typed errors) in its call
 * loop instead of a stack of interceptors. See shared/design/call-path.md.
 */
export function createGrpcTransport(options: GrpcTransportOptions): GrpcTransport {
  const { pool, policy } = options;
  const wireOf = createMethodWires({
    baseUrl: options.baseUrl,
    userAgent: options.userAgent,
    sendEncoding: options.sendEncoding,
    deadline: policy.deadline,
    json: options.json,
  });
  const origin = new URL(options.baseUrl).origin;
  const calls = createTransportCalls(policy, options.baseUrl);
  const typed = (e: unknown) => toTypedError(e, { retryableCodes: policy.retryableCodes });

  /**
   * The call loop, shared with the browser transport (call/run-attempts.ts).
   * A6 transparent retry: a stream the server refused or never saw is sent
   * again on another connection. Connect failures are not transparent: they
   * go by the retry policy. A request stream is sent again only if it never
   * opened, since its messages cannot be read twice.
   */
  const runAttempts = createAttemptRunner<http2.OutgoingHttpHeaders>({
    policy,
    toHeaders: headersFromOutgoing,
    fromHeaders: outgoingFromHeaders,
    transparent: (error, retryable) => !connectFailures.has(error) && (retryable || notOpened.has(error)),
  });

  /** Encodes one message as an envelope, compressed when configured and worth it. */
  const envelope = (bytes: Uint8Array): Uint8Array => {
    if (options.writeMaxBytes !== undefined && bytes.byteLength > options.writeMaxBytes) {
      throw new ConnectError(
        `message size ${bytes.byteLength} is larger than configured writeMaxBytes ${options.writeMaxBytes}`,
        Code.ResourceExhausted,
      );
    }
    if (options.sendEncoding !== undefined && bytes.byteLength >= options.compressMinBytes) {
      return encodeEnvelope(1, compressMessage(options.sendEncoding, bytes));
    }
    return encodeEnvelope(0, bytes);
  };

  /** The headers of every attempt of a call (call/call-header-fields.ts); ours are strings only, whatever Node's type allows. */
  const callHeaders = (wire: MethodWire, header: HeadersInit | undefined): http2.OutgoingHttpHeaders =>
    callHeaderFields(policy, wire.headers as HeaderFields, header);

  /**
   * A stream on a ready connection with room, at once, or undefined when the
   * pool must connect or wait first. Streams open without request options:
   * Node's defaults are ours (a POST stays open for its messages; the frame
   * is written with end()), and an options object costs: request() copies it
   * and adds each priority field it lacks, 6 µs of a 176 µs call.
   */
  const openStreamNow = (fields: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream | undefined => {
    try {
      return pool.openNow(fields);
    } catch (e) {
      throw marked(notOpened, errorFromHttp2Failure(e, origin));
    }
  };

  /** Opens a stream once the pool has a connection for it (connecting, or waiting for room). */
  const openStreamLater = async (call: GrpcCall, fields: http2.OutgoingHttpHeaders): Promise<http2.ClientHttp2Stream> => {
    let connection: Http2Connection;
    try {
      connection = await call.wait(pool.connection());
    } catch (e) {
      throw call.ended ?? marked(connectFailures, ConnectError.from(e));
    }
    if (call.ended !== undefined) throw call.ended;
    try {
      return connection.open(fields);
    } catch (e) {
      throw marked(notOpened, errorFromHttp2Failure(e, origin));
    }
  };

  /**
   * One unary attempt on the wire. Not async: the usual case opens the
   * stream synchronously and the exchange's promise is the attempt's (a
   * throw here is caught by the call loop like a rejection).
   */
  const sendUnary = (call: GrpcCall, wire: MethodWire, fields: http2.OutgoingHttpHeaders, frame: Uint8Array): Promise<UnaryResponse> => {
    const stream = openStreamNow(fields);
    if (stream !== undefined) return exchangeUnary(call, stream, frame, options.readMaxBytes, origin, wire, unaryResponse);
    return openStreamLater(call, fields).then((s) => exchangeUnary(call, s, frame, options.readMaxBytes, origin, wire, unaryResponse));
  };

  /**
   * A unary call after the call-level interceptors: the call loop. Its
   * errors leave typed, so that without call-level interceptors its promise
   * is the call's own (no async wrapper per call).
   */
  async function runUnary(
    wire: MethodWire,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: HeadersInit | undefined,
    input: unknown,
    contextValues: ContextValues,
  ): Promise<UnaryResponse> {
    let call: GrpcCall;
    try {
      call = calls.start(wire, signal, timeoutMs, contextValues);
    } catch (e) {
      throw typed(e);
    }
    try {
      const message = wire.request(input);
      const frame = envelope(wire.serialize(message));
      const base = callHeaders(wire, header);
      const attemptChain =
        options.attemptInterceptors.length === 0
          ? undefined
          : chainInterceptors(options.attemptInterceptors, async (req) => {
              const unaryReq = req as UnaryRequest;
              const body = unaryReq.message === message ? frame : envelope(wire.serialize(unaryReq.message));
              return sendUnary(call, wire, outgoingFromHeaders(unaryReq.header, base), body);
            });
      return await runAttempts(call, wire.method, contextValues, base, true, (fields) =>
        attemptChain === undefined
          ? sendUnary(call, wire, fields, frame)
          : (attemptChain(
              unaryRequest(wire.method, wire.url, call.signal(), headersFromOutgoing(fields), contextValues, message),
            ) as Promise<UnaryResponse>),
      );
    } catch (e) {
      throw typed(e);
    } finally {
      call.finish();
    }
  }

  /** One streaming attempt: opens the stream, sends the request side, waits until the response may be handed out. */
  const sendStream = async (
    call: GrpcCall,
    wire: MethodWire,
    fields: http2.OutgoingHttpHeaders,
    requests: { frame: Uint8Array } | { input: AsyncIterable<unknown> },
    needMessage: boolean,
  ): Promise<StreamResponse> => {
    const stream = openStreamNow(fields) ?? (await openStreamLater(call, fields));
    const exchange = new ResponseStream(call, stream, wire.parse, options.readMaxBytes, origin);
    if ("frame" in requests) stream.end(requests.frame);
    else void pumpRequests(exchange, requests.input, (m) => envelope(wire.serialize(wire.request(m))));
    await exchange.ready(needMessage);
    // Handed out: from now on the exchange's end is the call's end, even if
    // the reader drops the iterator without finishing it.
    exchange.onEnd = () => call.finish();
    return streamResponse(wire, exchange);
  };

  async function runStream(
    wire: MethodWire,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: HeadersInit | undefined,
    input: AsyncIterable<unknown>,
    contextValues: ContextValues,
  ): Promise<StreamResponse> {
    const call = calls.start(wire, signal, timeoutMs, contextValues);
    let handedOut = false;
    try {
      const base = callHeaders(wire, header);
      const serverStreaming = wire.method.methodKind === "server_streaming";
      // A server stream's one request is buffered, so every attempt can send it.
      const messages: Message[] = [];
      if (serverStreaming) for await (const m of input) messages.push(wire.request(m));
      const frame = serverStreaming && messages.length === 1 ? envelope(wire.serialize(messages[0]!)) : undefined;
      const retryable = serverStreaming;
      const eligible = retryable && policy.retry !== undefined && isRetryEligible(policy.retry, wire.method, contextValues);
      const requestsFor = (iterable: AsyncIterable<unknown>) =>
        frame !== undefined && iterable === input ? { frame } : { input: iterable };
      const attemptChain =
        options.attemptInterceptors.length === 0
          ? undefined
          : chainInterceptors(options.attemptInterceptors, async (req) => {
              const streamReq = req as StreamRequest;
              return sendStream(call, wire, outgoingFromHeaders(streamReq.header, base), requestsFor(streamReq.message), eligible);
            });
      const res = await runAttempts(call, wire.method, contextValues, base, retryable, (fields) => {
        const attemptInput = serverStreaming ? (frame !== undefined ? input : iterate(messages)) : input;
        return attemptChain === undefined
          ? sendStream(call, wire, fields, requestsFor(attemptInput), eligible)
          : (attemptChain(
              streamRequest(
                wire.method,
                wire.url,
                call.signal(),
                headersFromOutgoing(fields),
                contextValues,
                serverStreaming ? iterate(messages) : input,
              ),
            ) as Promise<StreamResponse>);
      });
      handedOut = true;
      return { ...res, message: typedMessages(res.message, call, typed) };
    } finally {
      if (!handedOut) call.finish();
    }
  }

  /** A unary call through the call-level interceptors (telemetry, logging), which see the caller's request. */
  async function unaryThroughInterceptors(
    method: DescMethodUnary,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: HeadersInit | undefined,
    input: unknown,
    values: ContextValues,
  ): Promise<UnaryResponse> {
    try {
      const wire = wireOf(method);
      const outer = chainInterceptors(options.callInterceptors, (req) =>
        runUnary(wire, req.signal, timeoutMs, req.header, (req as UnaryRequest).message, req.contextValues),
      );
      return (await outer(
        unaryRequest(
          wire.method,
          wire.url,
          signal ?? neverAborted(),
          callLevelHeaders(wire, timeoutMs, header),
          values,
          wire.request(input),
        ),
      )) as UnaryResponse;
    } catch (e) {
      throw typed(e);
    }
  }

  const transport: GrpcTransport = {
    unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: unknown,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const values = contextValues ?? createContextValues();
      if (options.callInterceptors.length === 0) {
        let wire: MethodWire;
        try {
          wire = wireOf(method);
        } catch (e) {
          return Promise.reject(typed(e));
        }
        return runUnary(wire, signal, timeoutMs, header, input, values) as Promise<UnaryResponse<I, O>>;
      }
      return unaryThroughInterceptors(method, signal, timeoutMs, header, input, values) as Promise<UnaryResponse<I, O>>;
    },
    async stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<unknown>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      const wire = wireOf(method);
      const values = contextValues ?? createContextValues();
      try {
        if (options.callInterceptors.length === 0) {
          return (await runStream(wire, signal, timeoutMs, header, input, values)) as StreamResponse<I, O>;
        }
        const outer = chainInterceptors(options.callInterceptors, (req) =>
          runStream(wire, req.signal, timeoutMs, req.header, (req as StreamRequest).message, req.contextValues),
        );
        const res = (await outer(
          streamRequest(wire.method, wire.url, signal ?? neverAborted(), callLevelHeaders(wire, timeoutMs, header), values, input),
        )) as StreamResponse<I, O>;
        return { ...res, message: typedMessages(res.message, undefined, typed) };
      } catch (e) {
        throw typed(e);
      }
    },
    activeCalls: calls.active,
    close: calls.close,
  } as GrpcTransport;
  return transport;
}

/** The pool could not connect: retried by the retry policy, not transparently. */
const connectFailures = new WeakSet<ConnectError>();
/** The stream could not even be opened: safe to send again, a request stream too. */
const notOpened = new WeakSet<ConnectError>();
function marked(set: WeakSet<ConnectError>, error: ConnectError): ConnectError {
  set.add(error);
  return error;
}

/**
 * The request headers call-level interceptors (telemetry, logging) see, as
 * connect's own transports show them: the protocol's headers, the caller's
 * timeout, then the caller's headers.
 */
function callLevelHeaders(wire: MethodWire, timeoutMs: number | undefined, header: HeadersInit | undefined): Headers {
  const fields = copyFields(wire.headers);
  if (timeoutMs !== undefined && timeoutMs > 0) fields["grpc-timeout"] = encodeGrpcTimeout(timeoutMs);
  if (header !== undefined) assignHeadersInit(fields as HeaderFields, header);
  return headersFromOutgoing(fields);
}

/**
 * The response of a unary exchange (unary-exchange.ts calls it with the
 * method's wire): the message decoded, its headers a WHATWG `Headers` only
 * when read (own getters, so a spread keeps them).
 */
function unaryResponse(
  wire: MethodWire,
  bytes: Uint8Array,
  rawHeader: http2.IncomingHttpHeaders,
  rawTrailer: http2.IncomingHttpHeaders,
): UnaryResponse {
  const message = parseResponse(wire, bytes);
  let header: Headers | undefined;
  let trailer: Headers | undefined;
  return {
    stream: false,
    service: wire.method.parent,
    method: wire.method as DescMethodUnary,
    message,
    get header() {
      return (header ??= metadataFromNode(rawHeader));
    },
    get trailer() {
      return (trailer ??= metadataFromNode(rawTrailer));
    },
  };
}

function streamResponse(wire: MethodWire, exchange: ResponseStream): StreamResponse {
  let header: Headers | undefined;
  const trailer = new LazyTrailer(exchange);
  return {
    stream: true,
    service: wire.method.parent,
    method: wire.method as DescMethodStreaming,
    message: exchange,
    get header() {
      return (header ??= metadataFromNode(exchange.header ?? {}));
    },
    get trailer() {
      return trailer.headers();
    },
  };
}

/** A stream's trailers arrive after its messages: the Headers object is handed out early and filled when they come. */
class LazyTrailer {
  private value: Headers | undefined;
  constructor(private readonly exchange: ResponseStream) {}
  headers(): Headers {
    if (this.value === undefined) {
      this.value = new Headers();
      const fill = () => {
        const raw = this.exchange.trailer ?? (this.exchange.header?.["grpc-status"] !== undefined ? this.exchange.header : undefined);
        if (raw !== undefined)
          metadataFromNode(raw).forEach((v, k) => {
            this.value!.append(k, v);
          });
      };
      if (this.exchange.trailer !== undefined) fill();
      else this.exchange.stream.once("close", fill);
    }
    return this.value;
  }
}

async function* iterate<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}
