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
import { isClientLimitError } from "../../errors/client-limit-error.js";
import { toTypedError } from "../../errors/to-typed-error.js";
import { attemptCountKey } from "../../interceptors/attempt-count.js";
import { attemptObserverKey, observeAttempt, observeThrottledRetry } from "../../interceptors/attempt-observer.js";
import { assertSecureUrl, isUnauthenticated } from "../../interceptors/auth-interceptor.js";
import { backoffDelayMs } from "../../interceptors/backoff.js";
import { timeoutMsKey } from "../../interceptors/deadline-interceptor.js";
import type { CachedToken } from "../../interceptors/token-cache.js";
import { encodeGrpcTimeout } from "../../interceptors/timeout-header.js";
import { initialRetryState, isRetryEligible, planRetry } from "../../interceptors/retry-plan.js";
import { isUnprocessedError } from "../../interceptors/unprocessed-error.js";
import type { ConnectionPool } from "../connection/connection-pool.js";
import type { Http2Connection } from "../connection/http2-connection.js";
import { encodeEnvelope } from "./envelope.js";
import { CallRegistry, GrpcCall } from "./grpc-call.js";
import { metadataFromNode } from "./grpc-status.js";
import { errorFromHttp2Failure } from "./http2-error.js";
import { compressMessage, type SendEncoding } from "./message-compression.js";
import { createMethodWires, type MethodWire } from "./method-wire.js";
import { assignHeadersInit, headersFromOutgoing, headersInitHas, outgoingFromHeaders } from "./node-headers.js";
import { pumpRequests, ResponseStream } from "./stream-exchange.js";
import { exchangeUnary } from "./unary-exchange.js";

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
 * The most transparent retries of one call (gRFC A6: a stream the server
 * refused, or that never left the client, is retried on another connection
 * for any method, without counting towards maxAttempts). The bound keeps a
 * server that refuses everything from looping a call.
 */
const maxTransparentRetries = 8;
const transparentBackoff = { initialBackoffMs: 10, maxBackoffMs: 1_000, backoffMultiplier: 2 };

/**
 * A gRPC transport of our own over `node:http2`: one call object per RPC
 * that owns the deadline, cancellation and attempts, with the built-in
 * policies (deadline, retries, auth, correlation, typed errors) in its call
 * loop instead of a stack of interceptors. See shared/design/call-path.md.
 */
export function createGrpcTransport(options: GrpcTransportOptions): GrpcTransport {
  const { pool, policy } = options;
  const calls = new CallRegistry();
  const wireOf = createMethodWires({
    baseUrl: options.baseUrl,
    userAgent: options.userAgent,
    sendEncoding: options.sendEncoding,
    deadline: policy.deadline,
    json: options.json,
  });
  const origin = new URL(options.baseUrl).origin;
  // Every request stream stays open for its messages: the request frame is written with end().
  const requestOptions: http2.ClientSessionRequestOptions = { endStream: false };
  // The authorization value of the cached token, built once per token.
  let authToken: CachedToken | undefined;
  let authValue = "";
  let closing: ConnectError | undefined;
  // The token never travels in clear text to a host that is not loopback; checked once.
  let authRefusal: ConnectError | undefined;
  if (policy.auth !== undefined && !policy.auth.allowInsecure) {
    try {
      assertSecureUrl(options.baseUrl, policy.auth.headerName);
    } catch (e) {
      authRefusal = ConnectError.from(e);
    }
  }
  const typed = (e: unknown) => toTypedError(e, { retryableCodes: policy.retryableCodes });

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

  const startCall = (wire: MethodWire, signal: AbortSignal | undefined, timeoutMs: number | undefined, contextValues: ContextValues): GrpcCall => {
    if (closing !== undefined) throw closing;
    if (authRefusal !== undefined) throw authRefusal;
    return new GrpcCall(calls, policy.clock, wire.name, callTimeoutMs(policy, wire, timeoutMs, contextValues), signal);
  };

  /** The headers of every attempt of a call: the method's, the transport's, the caller's, the correlation id. */
  const callHeaders = (wire: MethodWire, header: HeadersInit | undefined): http2.OutgoingHttpHeaders => {
    const fields: http2.OutgoingHttpHeaders = { ...wire.headers };
    for (const [name, value] of policy.headers) if (!headersInitHas(header, name)) fields[name] = value;
    if (header !== undefined) assignHeadersInit(fields, header);
    const correlation = policy.correlation;
    if (correlation !== undefined && fields[correlation.headerName] === undefined) {
      fields[correlation.headerName] = correlation.ambient?.() || correlation.generateId();
    }
    return fields;
  };

  /** A stream on a ready connection with room, at once, or undefined when the pool must connect or wait first. */
  const openStreamNow = (fields: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream | undefined => {
    try {
      return pool.openNow(fields, requestOptions);
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
      return connection.open(fields, requestOptions);
    } catch (e) {
      throw marked(notOpened, errorFromHttp2Failure(e, origin));
    }
  };

  /**
   * The call loop: attempts until one succeeds or no retry is allowed. `send`
   * runs one attempt with its final headers. `retryable` is false for
   * client and bidi streams, whose request messages cannot be sent twice:
   * only a stream that never opened is sent again.
   */
  async function runAttempts<R>(
    call: GrpcCall,
    wire: MethodWire,
    contextValues: ContextValues,
    base: http2.OutgoingHttpHeaders,
    retryable: boolean,
    send: (fields: http2.OutgoingHttpHeaders, attempt: number) => Promise<R>,
  ): Promise<R> {
    const retry = policy.retry;
    const eligible = retryable && retry !== undefined && isRetryEligible(retry, wire.method, contextValues);
    const observer = contextValues.get(attemptObserverKey);
    const state = initialRetryState();
    let attempt = 0;
    let transparentLeft = maxTransparentRetries;
    let transparentRetries = 0;
    let authReplayed = false;
    let delayMs = 0;
    let transparent = false;
    let replay = false;
    for (;;) {
      if (!replay) {
        attempt++;
        if (!transparent) state.attempt++;
      }
      replay = false;
      if (call.ended !== undefined) throw call.ended;
      if (call.remainingMs() <= 0) throw deadlineError(call, attempt);
      const fields = attempt === 1 ? base : { ...base };
      if (attempt > 1) fields["grpc-previous-rpc-attempts"] = String(attempt - 1);
      let token: CachedToken | undefined;
      if (policy.auth !== undefined) {
        token = policy.auth.cache.peek() ?? (await call.wait(policy.auth.cache.get()));
        if (token !== authToken) {
          authToken = token;
          authValue = policy.auth.scheme === "" ? token.token : `${policy.auth.scheme} ${token.token}`;
        }
        fields[policy.auth.headerName] = authValue;
      }
      // The time left is read after a token refresh may have waited, so the
      // server is never told more time than the call has.
      if (call.timeoutMs !== undefined) {
        const left = call.remainingMs();
        if (left <= 0) throw deadlineError(call, attempt);
        fields["grpc-timeout"] = encodeGrpcTimeout(left);
      }
      if (attempt > 1 || observer !== undefined) contextValues.set(attemptCountKey, attempt);
      let ended: (error?: unknown) => void = noop;
      if (observer !== undefined) {
        const header = headersFromOutgoing(fields);
        ended = observeAttempt(observer, { attempt, delayMs, transparent, header });
        Object.assign(fields, outgoingFromHeaders(header, fields));
      }
      let error: ConnectError;
      try {
        const result = await send(fields, attempt);
        policy.throttle?.recordSuccess();
        ended();
        return result;
      } catch (e) {
        error = ConnectError.from(e);
        ended(error);
      }
      if (call.ended !== undefined) throw call.ended;
      if (call.remainingMs() <= 0) throw error.code === Code.DeadlineExceeded ? error : deadlineError(call, attempt, error);
      // Our own size limits (readMaxBytes, a 4 GiB prefix, a decompression
      // bomb) give the same answer every time: never retried, although
      // RESOURCE_EXHAUSTED is a retryable code (issue 13 item 5).
      if (isClientLimitError(error)) throw error;
      if (token !== undefined && isUnauthenticated(error)) {
        const auth = policy.auth!;
        auth.cache.invalidate(token);
        // A refreshed token replays the attempt once, for calls that can be replayed.
        if (retryable && auth.cache.refreshable && !authReplayed) {
          authReplayed = true;
          await call.wait(auth.cache.refresh(token));
          replay = true;
          continue;
        }
      }
      // A6 transparent retry: the server refused the stream or never saw it,
      // so it is sent again on another connection, for any method and
      // whatever the retry policy, without counting towards maxAttempts.
      // Connect failures are not transparent: they go by the retry policy.
      // A request stream is retried only if it never opened, since its
      // messages cannot be read twice.
      if (isUnprocessedError(error) && !connectFailures.has(error) && (retryable || notOpened.has(error)) && transparentLeft > 0) {
        transparentLeft--;
        delayMs = transparentRetries === 0 ? 0 : backoffDelayMs(transparentRetries, transparentBackoff, retry?.random ?? Math.random);
        transparentRetries++;
        transparent = true;
        if (delayMs >= call.remainingMs()) throw error;
        if (delayMs > 0) await call.sleep(delayMs);
        continue;
      }
      if (retry === undefined || !retryable) throw error;
      const plan = planRetry(retry, policy.throttle, state, eligible, error);
      if (plan === "throttled") observeThrottledRetry(observer, error);
      if (plan === undefined || plan === "throttled") throw error;
      const left = call.remainingMs();
      if (plan.delayMs >= left) {
        throw new ConnectError(
          `deadline of ${call.timeoutMs}ms would pass during the ${Math.round(plan.delayMs)}ms wait before attempt ${attempt + 1} (${Math.max(0, Math.round(left))}ms left)`,
          Code.DeadlineExceeded,
          undefined,
          undefined,
          error,
        );
      }
      retry.onRetry?.({ attempt: attempt + 1, maxAttempts: retry.maxAttempts, error, delayMs: plan.delayMs, method: wire.method, transparent: plan.transparent });
      if (call.ended !== undefined) throw call.ended;
      if (plan.delayMs > 0) await call.sleep(plan.delayMs);
      delayMs = plan.delayMs;
      transparent = false;
    }
  }

  /** One unary attempt on the wire. */
  const sendUnary = async (call: GrpcCall, wire: MethodWire, fields: http2.OutgoingHttpHeaders, frame: Uint8Array): Promise<UnaryResponse> => {
    // The usual case opens the stream synchronously: no promise to acquire it.
    const stream = openStreamNow(fields) ?? (await openStreamLater(call, fields));
    const outcome = await exchangeUnary(call, stream, frame, options.readMaxBytes, origin);
    let message: Message;
    try {
      message = wire.parse(outcome.bytes);
    } catch (e) {
      throw new ConnectError(`failed to parse the response of ${wire.name}: ${ConnectError.from(e).rawMessage}`, Code.Internal, undefined, undefined, e);
    }
    return unaryResponse(wire, message, outcome.header, outcome.trailer);
  };

  /** A unary call after the call-level interceptors: the call loop. */
  async function runUnary(
    wire: MethodWire,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: HeadersInit | undefined,
    input: unknown,
    contextValues: ContextValues,
  ): Promise<UnaryResponse> {
    const call = startCall(wire, signal, timeoutMs, contextValues);
    try {
      const message = wire.request(input);
      const frame = envelope(wire.serialize(message));
      const base = callHeaders(wire, header);
      const attemptChain = options.attemptInterceptors.length === 0 ? undefined : chain(options.attemptInterceptors, async (req) => {
        const unaryReq = req as UnaryRequest;
        const body = unaryReq.message === message ? frame : envelope(wire.serialize(unaryReq.message));
        return sendUnary(call, wire, outgoingFromHeaders(unaryReq.header, base), body);
      });
      return await runAttempts(call, wire, contextValues, base, true, (fields) =>
        attemptChain === undefined
          ? sendUnary(call, wire, fields, frame)
          : (attemptChain(unaryRequest(wire, call.signal(), headersFromOutgoing(fields), contextValues, message)) as Promise<UnaryResponse>),
      );
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
    const call = startCall(wire, signal, timeoutMs, contextValues);
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
      const requestsFor = (iterable: AsyncIterable<unknown>) => (frame !== undefined && iterable === input ? { frame } : { input: iterable });
      const attemptChain = options.attemptInterceptors.length === 0 ? undefined : chain(options.attemptInterceptors, async (req) => {
        const streamReq = req as StreamRequest;
        return sendStream(call, wire, outgoingFromHeaders(streamReq.header, base), requestsFor(streamReq.message), eligible);
      });
      const res = await runAttempts(call, wire, contextValues, base, retryable, (fields) => {
        const attemptInput = serverStreaming ? (frame !== undefined ? input : iterate(messages)) : input;
        return attemptChain === undefined
          ? sendStream(call, wire, fields, requestsFor(attemptInput), eligible)
          : (attemptChain(streamRequest(wire, call.signal(), headersFromOutgoing(fields), contextValues, serverStreaming ? iterate(messages) : input)) as Promise<StreamResponse>);
      });
      handedOut = true;
      return { ...res, message: typedMessages(res.message, call, typed) };
    } finally {
      if (!handedOut) call.finish();
    }
  }

  const transport: GrpcTransport = {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: unknown,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const wire = wireOf(method);
      const values = contextValues ?? createContextValues();
      try {
        if (options.callInterceptors.length === 0) {
          return (await runUnary(wire, signal, timeoutMs, header, input, values)) as UnaryResponse<I, O>;
        }
        const outer = chain(options.callInterceptors, (req) => runUnary(wire, req.signal, timeoutMs, req.header, (req as UnaryRequest).message, req.contextValues));
        return (await outer(unaryRequest(wire, signal ?? neverAborted(), callLevelHeaders(wire, timeoutMs, header), values, wire.request(input)))) as UnaryResponse<I, O>;
      } catch (e) {
        throw typed(e);
      }
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
        const outer = chain(options.callInterceptors, (req) => runStream(wire, req.signal, timeoutMs, req.header, (req as StreamRequest).message, req.contextValues));
        const res = (await outer(streamRequest(wire, signal ?? neverAborted(), callLevelHeaders(wire, timeoutMs, header), values, input))) as StreamResponse<I, O>;
        return { ...res, message: typedMessages(res.message, undefined, typed) };
      } catch (e) {
        throw typed(e);
      }
    },
    activeCalls: () => calls.size,
    async close(graceMs) {
      closing ??= new ConnectError("transport is closed: close() was called, so it takes no new calls", Code.Canceled);
      await calls.idle(graceMs);
      const reason = new ConnectError(`transport closed: the call did not finish within the ${graceMs} ms grace period`, Code.Canceled);
      calls.cancelAll(reason);
    },
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

function noop(): void {}

let never: AbortSignal | undefined;
/** A signal for interceptors when the caller gave none; it never aborts, so nothing listens for long. */
function neverAborted(): AbortSignal {
  return (never ??= new AbortController().signal);
}

/** The call's timeout: the caller's own (timeoutMs, timeoutMsKey), else the method's default, capped by the ambient deadline. */
function callTimeoutMs(policy: CallPolicy, wire: MethodWire, timeoutMs: number | undefined, contextValues: ContextValues): number | undefined {
  const fromKey = contextValues.get(timeoutMsKey);
  if (fromKey !== undefined && !(Number.isFinite(fromKey) && fromKey >= 0)) {
    throw new ConnectError(`invalid timeoutMsKey value ${String(fromKey)} for ${wire.name}: must be a finite number >= 0`, Code.InvalidArgument);
  }
  // connect-es: a timeoutMs of 0 or less means none.
  const caller = timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : undefined;
  let own = caller === undefined ? fromKey : fromKey === undefined ? caller : Math.min(caller, fromKey);
  own ??= wire.defaultTimeoutMs;
  const ambientAt = policy.deadline?.ambientDeadline?.();
  if (ambientAt !== undefined && Number.isFinite(ambientAt)) {
    const left = ambientAt - Date.now();
    if (left <= 0) {
      throw new ConnectError(`deadline exceeded before calling ${wire.name}: the ambient deadline passed ${Math.round(-left)} ms ago`, Code.DeadlineExceeded);
    }
    own = own === undefined ? left : Math.min(own, left);
  }
  if (own !== undefined && own <= 0) {
    throw new ConnectError(`deadline exceeded after ${Math.round(own)} ms calling ${wire.name}`, Code.DeadlineExceeded);
  }
  return own;
}

function deadlineError(call: GrpcCall, attempt: number, cause?: unknown): ConnectError {
  const which = attempt > 1 ? ` (attempt ${attempt})` : "";
  return new ConnectError(`deadline exceeded after ${Math.round(call.timeoutMs ?? 0)} ms calling ${call.name}${which}`, Code.DeadlineExceeded, undefined, undefined, cause);
}

/** Applies interceptors around `next`, the first in the list outermost (connect's order). */
function chain(interceptors: readonly Interceptor[], next: (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>) {
  let fn = next;
  for (let i = interceptors.length - 1; i >= 0; i--) fn = interceptors[i]!(fn);
  return fn;
}

/**
 * The request headers call-level interceptors (telemetry, logging) see, as
 * connect's own transports show them: the protocol's headers, the caller's
 * timeout, then the caller's headers.
 */
function callLevelHeaders(wire: MethodWire, timeoutMs: number | undefined, header: HeadersInit | undefined): Headers {
  const fields: http2.OutgoingHttpHeaders = { ...wire.headers };
  if (timeoutMs !== undefined && timeoutMs > 0) fields["grpc-timeout"] = encodeGrpcTimeout(timeoutMs);
  if (header !== undefined) assignHeadersInit(fields, header);
  return headersFromOutgoing(fields);
}

function unaryRequest(wire: MethodWire, signal: AbortSignal, header: Headers, contextValues: ContextValues, message: Message): UnaryRequest {
  return { stream: false, service: wire.method.parent, method: wire.method as DescMethodUnary, requestMethod: "POST", url: wire.url, signal, header, contextValues, message };
}

function streamRequest(wire: MethodWire, signal: AbortSignal, header: Headers, contextValues: ContextValues, message: AsyncIterable<unknown>): StreamRequest {
  return {
    stream: true,
    service: wire.method.parent,
    method: wire.method as DescMethodStreaming,
    requestMethod: "POST",
    url: wire.url,
    signal,
    header,
    contextValues,
    message: message as AsyncIterable<Message>,
  };
}

/** The response; its headers become a WHATWG `Headers` only when read (own getters, so a spread keeps them). */
function unaryResponse(wire: MethodWire, message: Message, rawHeader: http2.IncomingHttpHeaders, rawTrailer: http2.IncomingHttpHeaders): UnaryResponse {
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
        if (raw !== undefined) metadataFromNode(raw).forEach((v, k) => this.value!.append(k, v));
      };
      if (this.exchange.trailer !== undefined) fill();
      else this.exchange.stream.once("close", fill);
    }
    return this.value;
  }
}

/** Errors while reading a handed-out stream are typed, and never retried; the call ends with the stream. */
function typedMessages<T>(messages: AsyncIterable<T>, call: GrpcCall | undefined, typed: (e: unknown) => ConnectError): AsyncIterable<T> {
  const it = messages[Symbol.asyncIterator]();
  const wrapped: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => wrapped,
    next: () =>
      it.next().then(
        (r) => {
          if (r.done === true) call?.finish();
          return r;
        },
        (e: unknown) => {
          // A server that ends the stream at the deadline (grpc-go resets it
          // with CANCEL) beats our own timer by a hair: once the deadline has
          // passed, the call ended by its deadline (PROTOCOL-HTTP2.md).
          const error = call !== undefined && call.ended === undefined && call.remainingMs() <= 0 ? deadlineError(call, 1, e) : e;
          call?.finish();
          throw typed(error);
        },
      ),
    return: async (value?: unknown) => {
      const r = (await it.return?.(value)) ?? { done: true as const, value: undefined };
      call?.finish();
      return r as IteratorResult<T>;
    },
  };
  return wrapped;
}

async function* iterate<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}

