import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { GrpcCall } from "../../call/grpc-call.js";
import { parseResponse } from "../../protocol/parse-response.js";
import { readHeaderStatus, readTrailerStatus } from "./check-response.js";
import type { WebMethodWire } from "./method-wire.js";
import { compressedFrameError, type Frame, parseTrailer, ResponseFrames, TRAILER_FLAG } from "./response-frames.js";

type Message = MessageShape<DescMessage>;

/**
 * Reads a unary response body: one message frame, then the trailer frame
 * with the status (PROTOCOL-WEB.md). The headers already passed
 * checkResponseHeaders. Error codes follow connect-es's gRPC-Web client.
 */
export async function readUnary(
  call: GrpcCall,
  wire: WebMethodWire,
  res: Response,
  readMaxBytes: number,
): Promise<{ message: Message; trailer: Headers }> {
  const frames = new ResponseFrames(call, res.body, readMaxBytes, wire.url);
  try {
    let message: Message | undefined;
    let trailer: Headers | undefined;
    for (let f = await frames.next(); f !== undefined; f = await frames.next()) {
      if ((f.flags & TRAILER_FLAG) !== 0) {
        if (trailer !== undefined) throw new ConnectError("protocol error: received extra trailer", Code.Unimplemented);
        trailer = parseTrailer(f.data);
        continue;
      }
      if (trailer !== undefined) throw new ConnectError("protocol error: received a message after the trailer", Code.Internal);
      if (message !== undefined)
        throw new ConnectError("protocol error: received extra output message for unary method", Code.Unimplemented);
      message = parseMessage(wire, f);
    }
    if (trailer === undefined) {
      // Trailers-Only: the status is in the headers, and the body is empty.
      const status = message === undefined ? readHeaderStatus(res.headers) : undefined;
      if (status instanceof ConnectError) throw status;
      if (status === null) throw new ConnectError("protocol error: missing output message for unary method", Code.Unimplemented);
      throw new ConnectError("protocol error: missing trailer", Code.Unknown);
    }
    const status = readTrailerStatus(trailer, res.headers);
    if (status instanceof ConnectError) throw status;
    if (status === undefined) throw new ConnectError("protocol error: missing grpc-status in the trailer", Code.Internal);
    if (message === undefined) throw new ConnectError("protocol error: missing output message for unary method", Code.Unimplemented);
    return { message, trailer };
  } catch (e) {
    frames.cancel(e);
    throw e;
  }
}

/**
 * The messages of a server-streaming response, read as the caller asks for
 * them (its back-pressure is the body reader's). The trailer frame ends the
 * stream: its status is the stream's end, its fields fill `trailer`.
 */
export class ResponseMessages implements AsyncIterableIterator<Message> {
  /** The trailers, filled when the trailer frame arrives; handed out at once. */
  readonly trailer = new Headers();
  private readonly frames: ResponseFrames;
  private peeked: { value: Message | undefined } | undefined;
  private sawTrailer = false;
  private sawMessage = false;
  private finished = false;

  constructor(
    call: GrpcCall,
    private readonly wire: WebMethodWire,
    private readonly res: Response,
    readMaxBytes: number,
  ) {
    this.frames = new ResponseFrames(call, res.body, readMaxBytes, wire.url);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return this;
  }

  /** Reads ahead to the first message (or the end), so that a failure before it fails the attempt. */
  async peek(): Promise<void> {
    if (this.peeked === undefined) this.peeked = { value: await this.step() };
  }

  async next(): Promise<IteratorResult<Message>> {
    if (this.finished) return { done: true, value: undefined };
    let value: Message | undefined;
    if (this.peeked !== undefined) {
      value = this.peeked.value;
      this.peeked = undefined;
    } else {
      value = await this.step();
    }
    if (value === undefined) {
      this.finished = true;
      return { done: true, value: undefined };
    }
    return { done: false, value };
  }

  async return(): Promise<IteratorResult<Message>> {
    this.finished = true;
    this.frames.cancel();
    return { done: true, value: undefined };
  }

  /** The next message, or undefined at a clean end; throws the stream's error. */
  private async step(): Promise<Message | undefined> {
    try {
      for (;;) {
        const f = await this.frames.next();
        if (f === undefined) {
          if (this.sawTrailer) return undefined;
          // Trailers-Only: the status is in the headers, and the body is empty.
          const status = this.sawMessage ? undefined : readHeaderStatus(this.res.headers);
          if (status instanceof ConnectError) throw status;
          if (status === undefined) throw new ConnectError("protocol error: missing trailer", Code.Internal);
          return undefined;
        }
        if ((f.flags & TRAILER_FLAG) !== 0) {
          if (this.sawTrailer) throw new ConnectError("protocol error: received extra trailer", Code.InvalidArgument);
          this.sawTrailer = true;
          const trailer = parseTrailer(f.data);
          trailer.forEach((value, name) => {
            this.trailer.append(name, value);
          });
          const status = readTrailerStatus(trailer, this.res.headers);
          if (status instanceof ConnectError) throw status;
          if (status === undefined) throw new ConnectError("protocol error: missing grpc-status in the trailer", Code.Internal);
          continue;
        }
        if (this.sawTrailer) throw new ConnectError("protocol error: received extra message after trailer", Code.InvalidArgument);
        this.sawMessage = true;
        return parseMessage(this.wire, f);
      }
    } catch (e) {
      this.finished = true;
      this.frames.cancel(e);
      throw e;
    }
  }
}

function parseMessage(wire: WebMethodWire, f: Frame): Message {
  if ((f.flags & 1) !== 0) throw compressedFrameError();
  return parseResponse(wire, f.data);
}
