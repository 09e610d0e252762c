import { Code, ConnectError } from "@connectrpc/connect";
import type { GrpcCall } from "../../call/grpc-call.js";
import { createEnvelopeReader, type EnvelopeReader } from "../../protocol/envelope-reader.js";
import { networkError } from "./fetch-error.js";

/** The high bit of a frame's flags marks gRPC-Web's trailer frame (PROTOCOL-WEB.md). */
export const TRAILER_FLAG = 0x80;

/** One frame of a gRPC-Web response body: a message or the trailers. */
export interface Frame {
  readonly flags: number;
  readonly data: Uint8Array;
}

/**
 * The frames of one response body, read from its `ReadableStream` as the
 * caller asks for them: back-pressure is the reader's, nothing is read ahead
 * beyond one chunk. Reading obeys the call: its cancellation (caller abort,
 * deadline, close) interrupts a read and cancels the body, which is what
 * ends the HTTP request even where an abort signal would not reach it.
 */
export class ResponseFrames {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private readonly envelopes: EnvelopeReader;
  private readonly queue: Frame[] = [];
  private done = false;

  constructor(
    private readonly call: GrpcCall,
    body: ReadableStream<Uint8Array> | null,
    readMaxBytes: number,
    private readonly url: string,
  ) {
    this.reader = body?.getReader();
    this.envelopes = createEnvelopeReader(readMaxBytes);
    if (this.reader === undefined) this.done = true;
  }

  /** The next frame, or undefined at the end of the body. Throws the call's end reason once it ended. */
  async next(): Promise<Frame | undefined> {
    for (;;) {
      const frame = this.queue.shift();
      if (frame !== undefined) return frame;
      if (this.call.ended !== undefined) {
        this.cancel(this.call.ended);
        throw this.call.ended;
      }
      if (this.done) return undefined;
      const chunk = await this.read();
      if (chunk === undefined) {
        this.done = true;
        this.envelopes.end();
      } else {
        try {
          this.envelopes.push(chunk, (flags, data) => this.queue.push({ flags, data }));
        } catch (e) {
          this.cancel(e);
          throw e;
        }
      }
    }
  }

  /** Stops reading: the body is cancelled, which ends the request. Idempotent. */
  cancel(reason?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.reader?.cancel(reason).catch(noop);
  }

  private read(): Promise<Uint8Array | undefined> {
    const call = this.call;
    const reader = this.reader!;
    return new Promise((resolve, reject) => {
      const interrupt = (reason: ConnectError) => {
        this.cancel(reason);
        reject(reason);
      };
      call.interrupt = interrupt;
      const release = () => {
        if (call.interrupt === interrupt) call.interrupt = undefined;
      };
      reader.read().then(
        (r) => {
          release();
          resolve(r.done ? undefined : r.value);
        },
        (e: unknown) => {
          release();
          this.done = true;
          reject(call.ended ?? networkError(e, this.url, "while reading the response"));
        },
      );
    });
  }
}

const utf8 = new TextDecoder();

/**
 * Parses gRPC-Web's trailer frame: HTTP/1 header lines ("name: value"),
 * separated by CRLF, names case-insensitive (PROTOCOL-WEB.md).
 */
export function parseTrailer(data: Uint8Array): Headers {
  const trailer = new Headers();
  for (const line of utf8.decode(data).split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    try {
      trailer.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      // A field Headers rejects is dropped rather than losing the status.
    }
  }
  return trailer;
}

/** A message frame whose Compressed-Flag is set: we never ask for compression. */
export function compressedFrameError(): ConnectError {
  return new ConnectError("protocol error: received a compressed message, but no compression was negotiated", Code.Internal);
}

function noop(): void {}
