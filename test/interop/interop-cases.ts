import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, decodeBinaryHeader, encodeBinaryHeader, type Transport } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { expect } from "vitest";
import type {
  StreamingInputCallRequestSchema,
  StreamingOutputCallRequestSchema,
  StreamingOutputCallResponse,
} from "../../gen/grpc/testing/messages_pb.js";
import { TestService, UnimplementedService } from "../../gen/grpc/testing/test_pb.js";

// The standard gRPC interop client cases, as grpc/grpc
// doc/interop-test-descriptions.md specifies them, run by our client over any
// Transport. Every peer (grpc-go, Ruby, grpc-js) runs this one list, so a cell
// of the interop matrix means the same thing in every row.

/** One interop client case: runs against a TestService server, throws on failure. */
export interface InteropCase {
  /** The case's name in the interop descriptions, e.g. "large_unary". */
  name: string;
  run(transport: Transport): Promise<void>;
}

type StreamingOutputCallRequestInit = MessageInitShape<typeof StreamingOutputCallRequestSchema>;
type StreamingInputCallRequestInit = MessageInitShape<typeof StreamingInputCallRequestSchema>;

const LARGE_REQUEST_BYTES = 271_828;
const LARGE_RESPONSE_BYTES = 314_159;
const REQUEST_SIZES = [27_182, 8, 1_828, 45_904];
const RESPONSE_SIZES = [31_415, 9, 2_653, 58_979];
const ECHO_INITIAL_KEY = "x-grpc-test-echo-initial";
const ECHO_INITIAL_VALUE = "test_initial_metadata_value";
const ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin";
const ECHO_TRAILING_VALUE = new Uint8Array([0xab, 0xab, 0xab]);
const SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";

const zeros = (size: number) => new Uint8Array(size);

/** Asserts a payload body has `size` bytes, all zero, without a 300 kB diff on failure. */
function expectZeros(body: Uint8Array | undefined, size: number): void {
  expect(body?.length, "payload body size").toBe(size);
  expect(
    body?.every((b) => b === 0),
    "payload body is all zeros",
  ).toBe(true);
}

/** The sizes of the response payloads, in order. */
const payloadSizes = (responses: StreamingOutputCallResponse[]) => responses.map((r) => r.payload?.body.length ?? 0);

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

async function* streamOf<T>(...items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** The error a call fails with, asserted to be a ConnectError with `code` (and `message`, if given). */
async function expectFailure(call: Promise<unknown>, code: Code, message?: string): Promise<ConnectError> {
  const outcome = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome, `the call should fail with ${Code[code]}`).toBeInstanceOf(ConnectError);
  const error = outcome as ConnectError;
  // Names, not numbers, so a failure reads "Unknown" vs "Canceled".
  expect(Code[error.code], `status code (message: ${JSON.stringify(error.rawMessage)})`).toBe(Code[code]);
  if (message !== undefined) expect(error.rawMessage).toBe(message);
  return error;
}

/** Metadata that asks the server to echo one initial and one binary trailing entry. */
function echoHeaders(): Record<string, string> {
  return { [ECHO_INITIAL_KEY]: ECHO_INITIAL_VALUE, [ECHO_TRAILING_KEY]: encodeBinaryHeader(ECHO_TRAILING_VALUE) };
}

function expectEchoed(header: Headers | undefined, trailer: Headers | undefined): void {
  expect(header?.get(ECHO_INITIAL_KEY), "echoed initial metadata").toBe(ECHO_INITIAL_VALUE);
  const trailing = trailer?.get(ECHO_TRAILING_KEY);
  expect(trailing, "echoed trailing metadata").toBeTypeOf("string");
  expect(decodeBinaryHeader(trailing!)).toEqual(ECHO_TRAILING_VALUE);
}

const emptyUnary: InteropCase = {
  name: "empty_unary",
  async run(transport) {
    const response = await createClient(TestService, transport).emptyCall({});
    expect(response.$typeName).toBe("grpc.testing.Empty");
  },
};

const largeUnary: InteropCase = {
  name: "large_unary",
  async run(transport) {
    const response = await createClient(TestService, transport).unaryCall({
      responseSize: LARGE_RESPONSE_BYTES,
      payload: { body: zeros(LARGE_REQUEST_BYTES) },
    });
    expectZeros(response.payload?.body, LARGE_RESPONSE_BYTES);
  },
};

const clientStreaming: InteropCase = {
  name: "client_streaming",
  async run(transport) {
    const requests = REQUEST_SIZES.map((size): StreamingInputCallRequestInit => ({ payload: { body: zeros(size) } }));
    const response = await createClient(TestService, transport).streamingInputCall(streamOf(...requests));
    expect(response.aggregatedPayloadSize).toBe(74_922);
  },
};

const serverStreaming: InteropCase = {
  name: "server_streaming",
  async run(transport) {
    const responses = await collect(
      createClient(TestService, transport).streamingOutputCall({
        responseParameters: RESPONSE_SIZES.map((size) => ({ size })),
      }),
    );
    expect(payloadSizes(responses)).toEqual(RESPONSE_SIZES);
    responses.forEach((response, i) => {
      expectZeros(response.payload?.body, RESPONSE_SIZES[i]!);
    });
  },
};

const pingPong: InteropCase = {
  name: "ping_pong",
  async run(transport) {
    const requests = createWritableIterable<StreamingOutputCallRequestInit>();
    const responses = createClient(TestService, transport).fullDuplexCall(requests)[Symbol.asyncIterator]();
    try {
      for (const [i, size] of RESPONSE_SIZES.entries()) {
        // Send one request, then wait for its reply before the next: true ping-pong.
        const [, reply] = await Promise.all([
          requests.write({ responseParameters: [{ size }], payload: { body: zeros(REQUEST_SIZES[i]!) } }),
          responses.next(),
        ]);
        expect(reply.done, `reply ${i}`).toBe(false);
        expectZeros(reply.value?.payload?.body, size);
      }
      requests.close();
      expect((await responses.next()).done, "the stream ends after the half-close").toBe(true);
    } finally {
      requests.close();
    }
  },
};

const emptyStream: InteropCase = {
  name: "empty_stream",
  async run(transport) {
    const responses = await collect(createClient(TestService, transport).fullDuplexCall(streamOf<StreamingOutputCallRequestInit>()));
    expect(responses).toEqual([]);
  },
};

const customMetadata: InteropCase = {
  name: "custom_metadata",
  async run(transport) {
    const client = createClient(TestService, transport);
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const unary = await client.unaryCall(
      { responseSize: LARGE_RESPONSE_BYTES, payload: { body: zeros(LARGE_REQUEST_BYTES) } },
      { headers: echoHeaders(), onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
    );
    expectZeros(unary.payload?.body, LARGE_RESPONSE_BYTES);
    expectEchoed(header, trailer);

    header = trailer = undefined;
    const streamed = await collect(
      client.fullDuplexCall(
        streamOf<StreamingOutputCallRequestInit>({
          responseParameters: [{ size: LARGE_RESPONSE_BYTES }],
          payload: { body: zeros(LARGE_REQUEST_BYTES) },
        }),
        { headers: echoHeaders(), onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
      ),
    );
    expect(payloadSizes(streamed)).toEqual([LARGE_RESPONSE_BYTES]);
    expectEchoed(header, trailer);
  },
};

const statusCodeAndMessage: InteropCase = {
  name: "status_code_and_message",
  async run(transport) {
    const client = createClient(TestService, transport);
    const responseStatus = { code: Code.Unknown, message: "test status message" };
    await expectFailure(client.unaryCall({ responseStatus }), Code.Unknown, responseStatus.message);
    await expectFailure(
      collect(client.fullDuplexCall(streamOf<StreamingOutputCallRequestInit>({ responseStatus }))),
      Code.Unknown,
      responseStatus.message,
    );
  },
};

const specialStatusMessage: InteropCase = {
  name: "special_status_message",
  async run(transport) {
    const responseStatus = { code: Code.Unknown, message: SPECIAL_STATUS_MESSAGE };
    await expectFailure(createClient(TestService, transport).unaryCall({ responseStatus }), Code.Unknown, SPECIAL_STATUS_MESSAGE);
  },
};

const unimplementedMethod: InteropCase = {
  name: "unimplemented_method",
  async run(transport) {
    await expectFailure(createClient(TestService, transport).unimplementedCall({}), Code.Unimplemented);
  },
};

const unimplementedService: InteropCase = {
  name: "unimplemented_service",
  async run(transport) {
    await expectFailure(createClient(UnimplementedService, transport).unimplementedCall({}), Code.Unimplemented);
  },
};

const cancelAfterBegin: InteropCase = {
  name: "cancel_after_begin",
  async run(transport) {
    const abort = new AbortController();
    const requests = createWritableIterable<StreamingInputCallRequestInit>();
    const call = createClient(TestService, transport).streamingInputCall(requests, { signal: abort.signal });
    // connect-es has no "headers sent" hook; a macrotask lets the stream open
    // (HEADERS on the wire) before the cancel, as the case asks.
    await new Promise((resolve) => setTimeout(resolve, 20));
    abort.abort();
    await expectFailure(call, Code.Canceled);
    requests.close();
  },
};

const cancelAfterFirstResponse: InteropCase = {
  name: "cancel_after_first_response",
  async run(transport) {
    const abort = new AbortController();
    const requests = createWritableIterable<StreamingOutputCallRequestInit>();
    const responses = createClient(TestService, transport).fullDuplexCall(requests, { signal: abort.signal })[Symbol.asyncIterator]();
    try {
      const [, first] = await Promise.all([
        requests.write({ responseParameters: [{ size: 31_415 }], payload: { body: zeros(27_182) } }),
        responses.next(),
      ]);
      expectZeros(first.value?.payload?.body, 31_415);
      abort.abort();
      await expectFailure(responses.next(), Code.Canceled);
    } finally {
      requests.close();
    }
  },
};

const timeoutOnSleepingServer: InteropCase = {
  name: "timeout_on_sleeping_server",
  async run(transport) {
    const requests = createWritableIterable<StreamingOutputCallRequestInit>();
    const responses = createClient(TestService, transport).fullDuplexCall(requests, { timeoutMs: 1 });
    // Not awaited: the write may never be read once the deadline ends the call.
    requests.write({ payload: { body: zeros(27_182) } }).catch(() => {});
    try {
      await expectFailure(collect(responses), Code.DeadlineExceeded);
    } finally {
      requests.close();
    }
  },
};

/** The cases every interop peer runs, in the order of the interop descriptions. */
export const interopCases: readonly InteropCase[] = [
  emptyUnary,
  largeUnary,
  clientStreaming,
  serverStreaming,
  pingPong,
  emptyStream,
  customMetadata,
  statusCodeAndMessage,
  specialStatusMessage,
  unimplementedMethod,
  unimplementedService,
  cancelAfterBegin,
  cancelAfterFirstResponse,
  timeoutOnSleepingServer,
];
