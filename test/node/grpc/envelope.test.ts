import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createEnvelopeReader, encodeEnvelope } from "../../../src/node/grpc/envelope.js";

type Envelope = [flags: number, data: number[]];

function readAll(chunks: Uint8Array[], readMaxBytes = 1024): Envelope[] {
  const reader = createEnvelopeReader(readMaxBytes);
  const out: Envelope[] = [];
  for (const chunk of chunks) reader.push(chunk, (flags, data) => out.push([flags, [...data]]));
  reader.end();
  return out;
}

function catchError(fn: () => void): ConnectError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConnectError) return e;
    throw e;
  }
  throw new Error("expected a ConnectError");
}

const messages: Envelope[] = [
  [0, [1, 2, 3]],
  [1, []],
  [0, Array.from({ length: 300 }, (_, i) => i & 0xff)],
  [0, [9]],
];
const stream = Buffer.concat(messages.map(([flags, data]) => encodeEnvelope(flags, Uint8Array.from(data))));

describe("encodeEnvelope", () => {
  it("writes the flags byte, a big-endian uint32 length and the data", () => {
    expect([...encodeEnvelope(1, Uint8Array.of(7, 8))]).toEqual([1, 0, 0, 0, 2, 7, 8]);
    expect([...encodeEnvelope(0, new Uint8Array(0))]).toEqual([0, 0, 0, 0, 0]);
    expect(encodeEnvelope(0, new Uint8Array(0x10203)).subarray(0, 5)).toEqual(Buffer.from([0, 0, 1, 2, 3]));
  });
});

describe("createEnvelopeReader", () => {
  it("reads every message of a chunk holding whole messages, as views of the chunk", () => {
    const reader = createEnvelopeReader(1024);
    const views: Uint8Array[] = [];
    reader.push(stream, (_flags, data) => views.push(data));
    reader.end();
    expect(views.map((v) => [...v])).toEqual(messages.map(([, data]) => data));
    for (const view of views) expect(view.buffer).toBe(stream.buffer);
  });

  it("reads the same messages from every split of the stream into two or three chunks", () => {
    for (let a = 0; a <= stream.length; a++) {
      expect(readAll([stream.subarray(0, a), stream.subarray(a)])).toEqual(messages);
    }
    for (let a = 0; a < 20; a++) {
      for (let b = a; b < stream.length; b += 7) {
        expect(readAll([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)])).toEqual(messages);
      }
    }
  });

  it("reads the same messages when every byte arrives in its own chunk, empty chunks included", () => {
    const chunks = [...stream].flatMap((byte) => [Uint8Array.of(byte), new Uint8Array(0)]);
    expect(readAll(chunks)).toEqual(messages);
  });

  it("counts the bytes of the incomplete message as pending, prefix included", () => {
    const reader = createEnvelopeReader(1024);
    const seen: number[] = [];
    const frame = encodeEnvelope(0, Uint8Array.of(1, 2, 3, 4));
    expect(reader.pending).toBe(0);
    reader.push(frame.subarray(0, 3), () => seen.push(1));
    expect(reader.pending).toBe(3);
    reader.push(frame.subarray(3, 7), () => seen.push(1));
    expect(reader.pending).toBe(7);
    reader.push(frame.subarray(7), () => seen.push(1));
    expect(reader.pending).toBe(0);
    expect(seen).toEqual([1]);
  });

  it("accepts a message of exactly readMaxBytes", () => {
    expect(readAll([encodeEnvelope(0, new Uint8Array(16))], 16)).toHaveLength(1);
  });

  it("fails with RESOURCE_EXHAUSTED at a 4 GiB prefix, naming both sizes, before any of the message arrived", () => {
    const reader = createEnvelopeReader(4194304);
    const error = catchError(() => reader.push(Uint8Array.of(0, 0xff, 0xff, 0xff, 0xff), () => {}));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("message size 4294967295 is larger than configured readMaxBytes 4194304");
  });

  it("fails with RESOURCE_EXHAUSTED at a prefix over the limit that was split across chunks", () => {
    const reader = createEnvelopeReader(10);
    reader.push(Uint8Array.of(0, 0, 0), () => {});
    const error = catchError(() => reader.push(Uint8Array.of(0, 11), () => {}));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("message size 11 is larger than configured readMaxBytes 10");
  });

  it("fails with RESOURCE_EXHAUSTED at a second message over the limit after a good one", () => {
    const reader = createEnvelopeReader(4);
    const seen: number[][] = [];
    const chunk = Buffer.concat([encodeEnvelope(0, Uint8Array.of(1)), encodeEnvelope(0, new Uint8Array(5))]);
    const error = catchError(() => reader.push(chunk, (_f, data) => seen.push([...data])));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(seen).toEqual([[1]]);
  });

  it("fails with INTERNAL naming the byte counts when the stream ends inside a message", () => {
    const reader = createEnvelopeReader(1024);
    reader.push(encodeEnvelope(0, new Uint8Array(10)).subarray(0, 9), () => {});
    const error = catchError(() => reader.end());
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe("truncated message: the stream ended after 4 of 10 bytes");
  });

  it("fails with INTERNAL when the stream ends inside a prefix", () => {
    const reader = createEnvelopeReader(1024);
    reader.push(Uint8Array.of(0, 0), () => {});
    const error = catchError(() => reader.end());
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe("truncated message: the stream ended after 2 of the 5 prefix bytes");
  });

  it("ends quietly between messages and on an empty stream", () => {
    expect(readAll([])).toEqual([]);
    expect(readAll([encodeEnvelope(0, Uint8Array.of(5))])).toEqual([[0, [5]]]);
  });

  it("rejects a negative or NaN readMaxBytes", () => {
    expect(() => createEnvelopeReader(-1)).toThrow(/readMaxBytes must be a non-negative number, got -1/);
    expect(() => createEnvelopeReader(Number.NaN)).toThrow(/got NaN/);
  });
});
