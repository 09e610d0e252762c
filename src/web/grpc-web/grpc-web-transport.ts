import type { DescMessage, DescMethodStreaming, DescMethodUnary, MessageShape } from "@bufbuild/protobuf";
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
import type { GrpcCall } from "../../call/grpc-call.js";
import { createTransportCalls } from "../../call/transport-calls.js";
import { chainInterceptors, neverAborted, streamRequest, unaryRequest } from "../../call/interceptor-chain.js";
import { typedMessages } from "../../call/typed-messages.js";
import { createAttemptRunner } from "../../call/run-attempts.js";
import { toTypedError } from "../../errors/to-typed-error.js";
import { isRetryEligible } from "../../interceptors/retry-plan.js";
import { encodeGrpcTimeout } from "../../interceptors/timeout-header.js";
import { encodeEnvelope } from "../../protocol/encode-envelope.js";
import { assignHeadersInit, fieldsFromHeaders, type HeaderFields, headersFromFields } from "../../protocol/header-fields.js";
import type { MessageCodec } from "../../protocol/message-codec.js";
import { checkResponseHeaders } from "./check-response.js";
import { networkError } from "./fetch-error.js";
import { createWebMethodWires, type WebMethodWire } from "./method-wire.js";
import { readUnary, ResponseMessages } from "./read-response.js";

type Message = MessageShape<DescMessage>;

/** Options of {@link createGrpcWebTransport}; the browser `createTransport` resolves every default. */
export interface GrpcWebTransportOptions {
  /** The service's base URL; relative URLs are relative to the page. */
  baseUrl: string;
  policy: CallPolicy;
  /** Interceptors that see the whole call (telemetry, logging), outermost first. */
  callInterceptors: readonly Interceptor[];
  /** Your interceptors: they run per attempt, innermost, seeing the final headers. */
  attemptInterceptors: readonly Interceptor[];
  readMaxBytes: number;
  userAgent: string;
  codec: MessageCodec;
  fetch: typeof globalThis.fetch;
  /** fetch's `credentials`; undefined leaves fetch's default ("same-origin"). */
  credentials: RequestCredentials | undefined;
}

/** Our gRPC-Web transport: a connect `Transport` you can close, with its call count. */
export interface GrpcWebTransport extends Transport {
  /** Calls in flight right now (a response stream counts until it is read to the end, abandoned or cancelled). */
  activeCalls(): number;
  /** New calls fail at once; calls in flight get `graceMs` to finish, then are cancelled. */
  close(graceMs: number): Promise<void>;
}

/**
 * A binary gRPC-Web transport of our own over `fetch` (PROTOCOL-WEB.md):
 * unary and server-streaming calls, one call object per RPC that owns the
 * deadline (`grpc-timeout` plus one local timer), cancellation (one
 * AbortController, the one fetch needs) and attempts, with the built-in
 * policies (deadline, retries, auth, correlation, typed errors) in the
 * shared call loop (src/call/). Client-streaming and bidi calls fail at once
 * with UNIMPLEMENTED: fetch cannot stream request bodies in browsers.
 */
export function createGrpcWebTransport(options: GrpcWebTransportOptions): GrpcWebTransport {
  const { policy } = options;
  const wireOf = createWebMethodWires({
    baseUrl: options.baseUrl,
    userAgent: options.userAgent,
    deadline: policy.deadline,
    codec: options.codec,
  });
  const fetchFn = options.fetch;
  const calls = createTransportCalls(policy, options.baseUrl);
  const typed = (e: unknown) => toTypedError(e, { retryableCodes: policy.retryableCodes });
  const runAttempts = createAttemptRunner<HeaderFields>({ policy, toHeaders: headersFromFields, fromHeaders: fieldsFromHeaders });

  const frame = (bytes: Uint8Array) => encodeEnvelope(0, bytes);

  const startCall = (
    wire: WebMethodWire,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    contextValues: ContextValues,
  ): GrpcCall => {
    const kind = wire.method.methodKind;
    if (kind === "client_streaming" || kind === "bidi_streaming") {
      throw new ConnectError(
        `${wire.name} is ${kind === "client_streaming" ? "client-streaming" : "bidirectional"}: browsers cannot stream request bodies over fetch; call it from Node`,
        Code.Unimplemented,
      );
    }
    return calls.start(wire, signal, timeoutMs, contextValues);
  };

  /** The headers of every attempt of a call (call/call-header-fields.ts). */
  const callHeaders = (wire: WebMethodWire, header: HeadersInit | undefined): HeaderFields =>
    callHeaderFields(policy, wire.headers, header);

  /** One request on the wire: resolves with the response once its headers passed the checks. */
  const post = async (call: GrpcCall, wire: WebMethodWire, fields: HeaderFields, body: Uint8Array): Promise<Response> => {
    const init: RequestInit = { method: "POST", headers: fields, body: body as BodyInit, signal: call.signal(), redirect: "error" };
    if (options.credentials !== undefined) init.credentials = options.credentials;
    let res: Response;
    try {
      res = await call.wait(fetchFn(wire.url, init));
    } catch (e) {
      throw call.ended ?? networkError(e, wire.url);
    }
    const error = checkResponseHeaders(res.status, res.headers);
    if (error !== undefined) {
      // A proxy's page or an encoding we cannot read: the body is not needed.
      res.body?.cancel().catch(() => {});
      throw error;
    }
    return res;
  };

  /** One unary attempt. */
  const sendUnary = async (call: GrpcCall, wire: WebMethodWire, fields: HeaderFields, body: Uint8Array): Promise<UnaryResponse> => {
    const res = await post(call, wire, fields, body);
    const { message, trailer } = await readUnary(call, wire, res, options.readMaxBytes);
    return { stream: false, service: wire.method.parent, method: wire.method as DescMethodUnary, header: res.headers, message, trailer };
  };

  async function runUnary(
    wire: WebMethodWire,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: HeadersInit | undefined,
    input: unknown,
    contextValues: ContextValues,
  ): Promise<UnaryResponse> {
    const call = startCall(wire, signal, timeoutMs, contextValues);
    try {
      const message = wire.request(input);
      const body = frame(wire.serialize(message));
      const base = callHeaders(wire, header);
      const attemptChain =
        options.attemptInterceptors.length === 0
          ? undefined
          : chainInterceptors(options.attemptInterceptors, async (req) => {
              const unaryReq = req as UnaryRequest;
              const reqBody = unaryReq.message === message ? body : frame(wire.serialize(unaryReq.message));
              return sendUnary(call, wire, fieldsFromHeaders(unaryReq.header), reqBody);
            });
      return await runAttempts(call, wire.method, contextValues, base, true, (fields) =>
        attemptChain === undefined
          ? sendUnary(call, wire, fields, body)
          : (attemptChain(
              unaryRequest(wire.method, wire.url, call.signal(), headersFromFields(fields), contextValues, message),
            ) as Promise<UnaryResponse>),
      );
    } finally {
      call.finish();
    }
  }

  /** One server-streaming attempt: resolves once the response may be handed out. */
  const sendStream = async (
    call: GrpcCall,
    wire: WebMethodWire,
    fields: HeaderFields,
    body: Uint8Array,
    needMessage: boolean,
  ): Promise<StreamResponse> => {
    const res = await post(call, wire, fields, body);
    const messages = new ResponseMessages(call, wire, res, options.readMaxBytes);
    // While the call may still be retried, a failure before the first message fails the attempt.
    if (needMessage) await messages.peek();
    return {
      stream: true,
      service: wire.method.parent,
      method: wire.method as DescMethodStreaming,
      header: res.headers,
      trailer: messages.trailer,
      message: messages,
    };
  };

  async function runStream(
    wire: WebMethodWire,
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
      // A server stream's one request is buffered, so every attempt can send it.
      const requests: Message[] = [];
      for await (const m of input) requests.push(wire.request(m));
      if (requests.length !== 1) {
        throw new ConnectError(`protocol error: ${wire.name} takes exactly one request message, got ${requests.length}`, Code.Internal);
      }
      const message = requests[0]!;
      const body = frame(wire.serialize(message));
      const eligible = policy.retry !== undefined && isRetryEligible(policy.retry, wire.method, contextValues);
      const attemptChain =
        options.attemptInterceptors.length === 0
          ? undefined
          : chainInterceptors(options.attemptInterceptors, async (req) => {
              const streamReq = req as StreamRequest;
              let reqBody = body;
              if (streamReq.message !== undefined) {
                const sent: Message[] = [];
                for await (const m of streamReq.message) sent.push(wire.request(m));
                if (sent.length !== 1 || sent[0] !== message) reqBody = frame(wire.serialize(sent[0] ?? message));
              }
              return sendStream(call, wire, fieldsFromHeaders(streamReq.header), reqBody, eligible);
            });
      const res = await runAttempts(call, wire.method, contextValues, base, true, (fields) =>
        attemptChain === undefined
          ? sendStream(call, wire, fields, body, eligible)
          : (attemptChain(
              streamRequest(wire.method, wire.url, call.signal(), headersFromFields(fields), contextValues, once(message)),
            ) as Promise<StreamResponse>),
      );
      handedOut = true;
      return { ...res, message: typedMessages(res.message, call, typed) };
    } finally {
      if (!handedOut) call.finish();
    }
  }

  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: unknown,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const values = contextValues ?? createContextValues();
      try {
        const wire = wireOf(method);
        if (options.callInterceptors.length === 0) {
          return (await runUnary(wire, signal, timeoutMs, header, input, values)) as UnaryResponse<I, O>;
        }
        const outer = chainInterceptors(options.callInterceptors, (req) =>
          runUnary(wire, req.signal, timeoutMs, req.header, (req as UnaryRequest).message, req.contextValues),
        );
        return (await outer(
          unaryRequest(method, wire.url, signal ?? neverAborted(), callLevelHeaders(wire, timeoutMs, header), values, wire.request(input)),
        )) as UnaryResponse<I, O>;
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
      const values = contextValues ?? createContextValues();
      try {
        const wire = wireOf(method);
        if (options.callInterceptors.length === 0) {
          return (await runStream(wire, signal, timeoutMs, header, input, values)) as StreamResponse<I, O>;
        }
        const outer = chainInterceptors(options.callInterceptors, (req) =>
          runStream(wire, req.signal, timeoutMs, req.header, (req as StreamRequest).message, req.contextValues),
        );
        const res = (await outer(
          streamRequest(method, wire.url, signal ?? neverAborted(), callLevelHeaders(wire, timeoutMs, header), values, input),
        )) as StreamResponse<I, O>;
        return { ...res, message: typedMessages(res.message, undefined, typed) };
      } catch (e) {
        throw typed(e);
      }
    },
    activeCalls: calls.active,
    close: calls.close,
  } as GrpcWebTransport;
}

/**
 * The request headers call-level interceptors (telemetry, logging) see, as
 * connect's own transports show them: the protocol's headers, the caller's
 * timeout, then the caller's headers.
 */
function callLevelHeaders(wire: WebMethodWire, timeoutMs: number | undefined, header: HeadersInit | undefined): Headers {
  const fields: HeaderFields = { ...wire.headers };
  if (timeoutMs !== undefined && timeoutMs > 0) fields["grpc-timeout"] = encodeGrpcTimeout(timeoutMs);
  if (header !== undefined) assignHeadersInit(fields, header);
  return headersFromFields(fields);
}

async function* once<T>(item: T): AsyncIterable<T> {
  yield item;
}
