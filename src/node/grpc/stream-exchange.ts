import * as http2 from "node:http2";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createEnvelopeReader, type EnvelopeReader } from "./envelope.js";
import type { GrpcCall } from "../../call/grpc-call.js";
import { decompressMessage } from "./message-compression.js";
import { checkResponseHeaders, endStatus, single, streamEndError } from "./response-validation.js";

type Message = MessageShape<DescMessage>;

/** Messages queued before the stream is paused until the reader catches up. */
const highWaterMark = 16;

/**
 * The response side of a streaming exchange: an async iterator over a small
 * queue that `data` events fill, pausing the HTTP/2 stream at a high-water
 * mark (back-pressure through flow control) and resuming when the reader
 * drains it. It is its own iterable, made once per attempt: no async
 * generators, no per-message promises unless the reader waits.
 *
 * Leaving a `for await` early (`return()`) cancels the stream at once and
 * ends the call; so does the call's cancellation (caller abort, deadline,
 * close), which also fails a pending `next()` with its reason.
 */
export class ResponseStream implements AsyncIterableIterator<Message> {
  header: http2.IncomingHttpHeaders | undefined = undefined;
  trailer: http2.IncomingHttpHeaders | undefined = undefined;
  /** How many messages have been received, for the retry rule "until the first message". */
  received = 0;
  private readonly queue: Message[] = [];
  private head = 0;
  private readonly reader: EnvelopeReader;
  private outcome: ConnectError | null | undefined = undefined;
  private waiting: { resolve(r: IteratorResult<Message>): void; reject(e: unknown): void } | undefined;
  private progress: { resolve(): void; reject(e: unknown): void; needMessage: boolean } | undefined;
  private streamError: unknown = undefined;
  /** Called once when the exchange is over, with undefined on success; set once the response is handed out. */
  onEnd: ((error: ConnectError | undefined) => void) | undefined = undefined;
  private paused = false;
  private readonly session: http2.Http2Session | undefined;

  constructor(
    private readonly call: GrpcCall,
    readonly stream: http2.ClientHttp2Stream,
    private readonly parse: (bytes: Uint8Array) => Message,
    private readonly readMaxBytes: number,
    private readonly origin: string,
  ) {
    this.reader = createEnvelopeReader(readMaxBytes);
    this.session = stream.session;
    call.interrupt = (reason) => this.fail(reason);
    stream.on("response", this.onResponse);
    stream.on("data", this.onData);
    stream.on("trailers", this.onTrailers);
    // Every stream error is ours to report: an 'error' without a listener would crash the process.
    stream.on("error", this.onError);
    stream.on("close", this.onClose);
  }

  private readonly onResponse = (h: http2.IncomingHttpHeaders): void => {
    this.header = h;
    const error = checkResponseHeaders(h);
    if (error !== undefined) this.fail(error);
    else this.notifyProgress(false);
  };
  private readonly onTrailers = (t: http2.IncomingHttpHeaders): void => {
    this.trailer = t;
  };
  private readonly onError = (e: unknown): void => {
    this.streamError = e;
  };

  /**
   * Resolves once the response headers are there (`needMessage` false) or the
   * first message or the end of the stream (true); rejects when the exchange
   * fails first.
   */
  ready(needMessage: boolean): Promise<void> {
    if (this.outcome instanceof ConnectError) return Promise.reject(this.outcome);
    if (this.outcome === null || this.received > 0 || (!needMessage && this.header !== undefined)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => (this.progress = { resolve, reject, needMessage }));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Message>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Message;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
        if (this.paused) {
          this.paused = false;
          this.stream.resume();
        }
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.outcome === null) return Promise.resolve({ done: true, value: undefined });
    if (this.outcome !== undefined) return Promise.reject(this.outcome);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** The reader stopped early: the stream is cancelled and the call released, at once. */
  return(): Promise<IteratorResult<Message>> {
    if (this.outcome === undefined) {
      this.settle(new ConnectError("stream abandoned by its reader", Code.Canceled), true);
    }
    this.queue.length = 0;
    this.head = 0;
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Fails the exchange with `error`, resetting the stream. */
  fail(error: ConnectError): void {
    if (this.outcome !== undefined) return;
    this.settle(error, true);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.outcome !== undefined) return;
    try {
      this.reader.push(chunk, this.onEnvelope);
    } catch (e) {
      this.fail(ConnectError.from(e, Code.Internal));
    }
  };

  private readonly onEnvelope = (flags: number, data: Uint8Array): void => {
    if (this.outcome !== undefined) return;
    let message: Message;
    try {
      const bytes = (flags & 1) === 1 ? decompressMessage(single(this.header?.["grpc-encoding"]), data, this.readMaxBytes) : data;
      message = this.parse(bytes);
    } catch (e) {
      this.fail(ConnectError.from(e, Code.Internal));
      return;
    }
    this.received++;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      waiting.resolve({ done: false, value: message });
    } else {
      this.queue.push(message);
      if (!this.paused && this.queue.length - this.head >= highWaterMark) {
        this.paused = true;
        this.stream.pause();
      }
    }
    this.notifyProgress(true);
  };

  private readonly onClose = (): void => {
    if (this.outcome === undefined) this.settle(this.closeOutcome(), false);
  };

  /** What the stream's close means for the call: its status, a protocol error, or null for OK. */
  private closeOutcome(): ConnectError | null {
    const header = this.header;
    if (header === undefined) return streamEndError(this.stream, this.session, this.streamError, this.origin, false);
    const trailer = this.trailer;
    const status = endStatus(header, trailer, this.received > 0);
    if (status === undefined) {
      if (trailer === undefined) return streamEndError(this.stream, this.session, this.streamError, this.origin, true);
      return new ConnectError("protocol error: missing grpc-status in trailers", Code.Internal);
    }
    if (status !== null) return status;
    if (this.reader.pending > 0) {
      try {
        this.reader.end();
      } catch (e) {
        return ConnectError.from(e, Code.Internal);
      }
    }
    return null;
  }

  private settle(outcome: ConnectError | null, reset: boolean): void {
    this.outcome = outcome;
    if (this.call.interrupt !== undefined) this.call.interrupt = undefined;
    // Node keeps a closed stream reachable until the next full GC, so our
    // listeners would keep this exchange, its queue and the call alive with
    // it (see unary-exchange.ts). The pool's 'error' listener stays.
    const stream = this.stream;
    stream.off("response", this.onResponse);
    stream.off("data", this.onData);
    stream.off("trailers", this.onTrailers);
    stream.off("error", this.onError);
    stream.off("close", this.onClose);
    if (reset && !this.stream.closed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting !== undefined && this.head >= this.queue.length) {
      if (outcome === null) waiting.resolve({ done: true, value: undefined });
      else waiting.reject(outcome);
    }
    const progress = this.progress;
    this.progress = undefined;
    if (progress !== undefined) {
      if (outcome === null) progress.resolve();
      else progress.reject(outcome);
    }
    this.onEnd?.(outcome === null ? undefined : outcome);
  }

  private notifyProgress(message: boolean): void {
    const progress = this.progress;
    if (progress === undefined || (progress.needMessage && !message)) return;
    this.progress = undefined;
    progress.resolve();
  }
}

/**
 * Writes the request messages of a client or bidi stream as they come,
 * honouring `drain`, then half-closes. A failing request iterable or a
 * message over the send limit fails the exchange with that error.
 */
export async function pumpRequests(
  exchange: ResponseStream,
  input: AsyncIterable<unknown>,
  encode: (message: unknown) => Uint8Array,
): Promise<void> {
  const stream = exchange.stream;
  try {
    for await (const message of input) {
      if (stream.closed || stream.destroyed) return;
      if (!stream.write(encode(message))) await drained(stream);
    }
    if (!stream.closed && !stream.destroyed) stream.end();
  } catch (e) {
    exchange.fail(ConnectError.from(e, Code.Internal));
  }
}

function drained(stream: http2.ClientHttp2Stream): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
