import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { type Any, AnySchema, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import {
  type ClientCompatRequest,
  type ClientResponseResult,
  ClientResponseResultSchema,
} from "../../gen/connectrpc/conformance/v1/client_compat_pb.js";
import { type Code, StreamType } from "../../gen/connectrpc/conformance/v1/config_pb.js";
import {
  BidiStreamRequestSchema,
  ClientStreamRequestSchema,
  type ConformancePayload,
  ConformancePayloadSchema,
  ConformanceService,
  ErrorSchema,
  type Header,
  HeaderSchema,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  UnaryRequestSchema,
  UnimplementedRequestSchema,
} from "../../gen/connectrpc/conformance/v1/service_pb.js";
import { UnsupportedCaseError } from "./conformance-transport.js";

type ConformanceClient = Client<typeof ConformanceService>;

/**
 * Makes the one call a test case describes, through `transport`, and records
 * what the caller observed: response headers, messages, trailers, and the
 * error, if the call failed. Throws UnsupportedCaseError only for a case it
 * cannot attempt; a failed call is a result, not a throw.
 */
export async function invokeConformanceCall(transport: Transport, req: ClientCompatRequest): Promise<ClientResponseResult> {
  const service = req.service ?? ConformanceService.typeName;
  if (service !== ConformanceService.typeName) {
    throw new UnsupportedCaseError(`unknown service ${service}`);
  }
  const client = createClient(ConformanceService, transport);
  const call = new CallRecorder(req);
  try {
    switch (req.method) {
      case ConformanceService.method.unary.name:
        await unary(client, req, call, false);
        break;
      case ConformanceService.method.idempotentUnary.name:
        await unary(client, req, call, true);
        break;
      case ConformanceService.method.serverStream.name:
        await serverStream(client, req, call);
        break;
      case ConformanceService.method.clientStream.name:
        await clientStream(client, req, call);
        break;
      case ConformanceService.method.bidiStream.name:
        await bidiStream(client, req, call);
        break;
      case ConformanceService.method.unimplemented.name:
        await client.unimplemented(singleMessage(req, UnimplementedRequestSchema), call.options());
        break;
      default:
        throw new UnsupportedCaseError(`unknown method ${String(req.method)}`);
    }
  } catch (e) {
    if (e instanceof UnsupportedCaseError) throw e;
    call.failed(e);
  } finally {
    call.done();
  }
  return call.result;
}

/** When the test case wants the call cancelled; see ClientCompatRequest.Cancel. */
type CancelTiming =
  | { readonly kind: "none" }
  | { readonly kind: "beforeCloseSend" }
  | { readonly kind: "afterCloseSendMs"; readonly ms: number }
  | { readonly kind: "afterNumResponses"; readonly count: number };

function cancelTimingOf(req: ClientCompatRequest): CancelTiming {
  if (req.cancel === undefined) return { kind: "none" };
  const timing = req.cancel.cancelTiming;
  switch (timing.case) {
    case "beforeCloseSend":
      return { kind: "beforeCloseSend" };
    case "afterCloseSendMs":
      return { kind: "afterCloseSendMs", ms: timing.value };
    case "afterNumResponses":
      return { kind: "afterNumResponses", count: timing.value };
    case undefined:
      // The spec: no timing means "right after the send side is closed".
      return { kind: "afterCloseSendMs", ms: 0 };
  }
}

/** The state of one call: its abort controller, its cancel timing and what it observed. */
class CallRecorder {
  readonly result: ClientResponseResult = create(ClientResponseResultSchema);
  readonly cancel: CancelTiming;
  private readonly req: ClientCompatRequest;
  private readonly controller = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(req: ClientCompatRequest) {
    this.req = req;
    this.cancel = cancelTimingOf(req);
  }

  /** The call options: the case's headers and timeout, our signal, and header/trailer capture. */
  options(): CallOptions {
    const headers = new Headers();
    for (const header of this.req.requestHeaders) {
      for (const value of header.value) headers.append(header.name, value);
    }
    return {
      headers,
      signal: this.controller.signal,
      ...(this.req.timeoutMs !== undefined && { timeoutMs: this.req.timeoutMs }),
      onHeader: (h) => {
        this.result.responseHeaders = toProtoHeaders(h);
      },
      onTrailer: (t) => {
        this.result.responseTrailers = toProtoHeaders(t);
      },
    };
  }

  abort(): void {
    this.controller.abort();
  }

  /** Cancels `afterCloseSendMs` after the send side closed, if the case says so. */
  sendClosed(): void {
    if (this.cancel.kind !== "afterCloseSendMs") return;
    this.timers.push(setTimeout(() => this.abort(), this.cancel.ms));
  }

  /** Records a response message, and cancels if that was the count the case asks for. */
  received(payload: ConformancePayload | undefined): void {
    this.result.payloads.push(payload ?? create(ConformancePayloadSchema));
    if (this.cancel.kind === "afterNumResponses" && this.result.payloads.length === this.cancel.count) {
      this.abort();
    }
  }

  failed(e: unknown): void {
    const error = ConnectError.from(e);
    this.result.error = create(ErrorSchema, {
      code: error.code as number as Code,
      message: error.rawMessage,
      details: error.details.map(detailToAny),
    });
    // An error's metadata mixes headers and trailers; headers the call saw
    // before it failed are more precise and are kept.
    const metadata = toProtoHeaders(error.metadata);
    if (this.result.responseHeaders.length === 0) this.result.responseHeaders = metadata;
    this.result.responseTrailers = metadata;
  }

  done(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }
}

async function unary(client: ConformanceClient, req: ClientCompatRequest, call: CallRecorder, idempotent: boolean) {
  await sleep(req.requestDelayMs);
  const options = call.options();
  // A unary call closes its send side as it starts: the cancel timer starts now.
  call.sendClosed();
  const res = idempotent
    ? await client.idempotentUnary(singleMessage(req, IdempotentUnaryRequestSchema), options)
    : await client.unary(singleMessage(req, UnaryRequestSchema), options);
  call.received(res.payload);
}

async function serverStream(client: ConformanceClient, req: ClientCompatRequest, call: CallRecorder) {
  await sleep(req.requestDelayMs);
  const responses = client.serverStream(singleMessage(req, ServerStreamRequestSchema), call.options());
  call.sendClosed();
  if (call.cancel.kind === "afterNumResponses" && call.cancel.count === 0) call.abort();
  for await (const res of responses) call.received(res.payload);
}

async function clientStream(client: ConformanceClient, req: ClientCompatRequest, call: CallRecorder) {
  const messages = allMessages(req, ClientStreamRequestSchema);
  async function* requests() {
    for (const message of messages) {
      await sleep(req.requestDelayMs);
      yield message;
    }
    // Cancelling here, before the generator returns, cancels instead of
    // closing the send side.
    if (call.cancel.kind === "beforeCloseSend") call.abort();
    else call.sendClosed();
  }
  const res = await client.clientStream(requests(), call.options());
  call.received(res.payload);
}

async function bidiStream(client: ConformanceClient, req: ClientCompatRequest, call: CallRecorder) {
  const messages = allMessages(req, BidiStreamRequestSchema);
  const fullDuplex = req.streamType === StreamType.FULL_DUPLEX_BIDI_STREAM;
  const requests = createWritableIterable<MessageShape<typeof BidiStreamRequestSchema>>();
  const responses = client.bidiStream(requests, call.options())[Symbol.asyncIterator]();
  const cancelBeforeResponses = call.cancel.kind === "afterNumResponses" && call.cancel.count === 0;
  let writeError: unknown;
  try {
    for (const message of messages) {
      await sleep(req.requestDelayMs);
      await requests.write(message);
      if (!fullDuplex) continue;
      // Full duplex: one response per request, read before the next write.
      if (cancelBeforeResponses) call.abort();
      const next = await responses.next();
      if (next.done !== true) call.received(next.value.payload);
    }
    if (call.cancel.kind === "beforeCloseSend") {
      call.abort();
    } else {
      requests.close();
      call.sendClosed();
    }
  } catch (e) {
    // A write fails once the call has ended (an error, the deadline, a
    // cancel): the response side holds the reason, so read it below. Not
    // reading it would also leave the call's rejection unhandled.
    writeError = e;
    requests.close();
  }
  if (cancelBeforeResponses) call.abort();
  for (;;) {
    const next = await responses.next();
    if (next.done === true) break;
    call.received(next.value.payload);
  }
  if (writeError !== undefined) throw writeError;
}

function singleMessage<Desc extends DescMessage>(req: ClientCompatRequest, schema: Desc): MessageShape<Desc> {
  if (req.requestMessages.length !== 1) {
    throw new UnsupportedCaseError(`expected exactly one request message, got ${req.requestMessages.length}`);
  }
  return unpack(req.requestMessages[0], schema);
}

function allMessages<Desc extends DescMessage>(req: ClientCompatRequest, schema: Desc): MessageShape<Desc>[] {
  return req.requestMessages.map((any) => unpack(any, schema));
}

function unpack<Desc extends DescMessage>(any: Any | undefined, schema: Desc): MessageShape<Desc> {
  const message = any === undefined ? undefined : anyUnpack(any, schema);
  if (message === undefined) {
    throw new UnsupportedCaseError(`request message is not a ${schema.typeName}: ${any?.typeUrl ?? "missing"}`);
  }
  return message;
}

function detailToAny(detail: ConnectError["details"][number]): Any {
  if ("desc" in detail) return anyPack(detail.desc, create(detail.desc, detail.value));
  return create(AnySchema, { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value });
}

function toProtoHeaders(headers: Headers): Header[] {
  const result: Header[] = [];
  headers.forEach((value, name) => {
    result.push(create(HeaderSchema, { name, value: [value] }));
  });
  return result;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
