/**
 * Reading gRPC's Length-Prefixed-Message framing (PROTOCOL-HTTP2.md,
 * "Requests": Compressed-Flag, 4-byte big-endian Message-Length, Message),
 * shared by gRPC over node:http2 and gRPC-Web over fetch (PROTOCOL-WEB.md
 * uses the same frames, with the flag's high bit marking the trailers).
 * Runtime-neutral: Uint8Array only, no Buffer.
 *
 * DATA frame boundaries have no relation to message boundaries
 * (PROTOCOL-HTTP2.md, "Data Frames"), so the reader accepts any split,
 * including one inside the 5-byte prefix. The common case, a chunk holding
 * exactly whole messages, hands out views of the chunk without copying.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { clientLimitError } from "../errors/client-limit-error.js";

/** The bytes before each message: Compressed-Flag and Message-Length. */
export const PREFIX_BYTES = 5;

/**
 * Splits a byte stream into length-prefixed messages, one reader per
 * response stream. After any throw the reader is spent: drop it with the call.
 */
export interface EnvelopeReader {
  /**
   * Feeds one chunk and calls `onEnvelope` for each message it completes,
   * in order. `data` may be a view of `chunk` (no copy), so a chunk must not
   * be modified after it was pushed (neither Node's stream chunks nor fetch's are). Throws
   * RESOURCE_EXHAUSTED at a prefix announcing more than `readMaxBytes`,
   * before buffering any of that message; errors thrown by `onEnvelope`
   * propagate.
   */
  push(chunk: Uint8Array, onEnvelope: (flags: number, data: Uint8Array) => void): void;
  /** Bytes received of the incomplete message in progress (prefix included); 0 between messages. */
  readonly pending: number;
  /**
   * Declares the end of the stream. Throws INTERNAL when it ended inside a
   * message or its prefix: the server broke the framing (statuscodes.md,
   * "Error parsing response proto" is INTERNAL at the client; issue 13 item 5).
   */
  end(): void;
}

/**
 * Creates an {@link EnvelopeReader} that rejects messages larger than
 * `readMaxBytes` (a non-negative number; `Infinity` for no limit), as
 * statuscodes.md asks: "Sent or received message was larger than configured
 * limit" is RESOURCE_EXHAUSTED.
 */
export function createEnvelopeReader(readMaxBytes: number): EnvelopeReader {
  if (!(readMaxBytes >= 0)) {
    throw new ConnectError(`readMaxBytes must be a non-negative number, got ${String(readMaxBytes)}`, Code.InvalidArgument);
  }
  return new Reader(readMaxBytes);
}

class Reader implements EnvelopeReader {
  private readonly readMaxBytes: number;
  /** Bytes of a prefix split across chunks; allocated on the first split only. */
  private prefix: Uint8Array | undefined;
  private prefixBytes = 0;
  /** Message-Length of the message in progress, or -1 while no prefix is complete. */
  private length = -1;
  private flags = 0;
  private parts: Uint8Array[] = [];
  private received = 0;

  constructor(readMaxBytes: number) {
    this.readMaxBytes = readMaxBytes;
  }

  get pending(): number {
    return this.length < 0 ? this.prefixBytes : PREFIX_BYTES + this.received;
  }

  push(chunk: Uint8Array, onEnvelope: (flags: number, data: Uint8Array) => void): void {
    const size = chunk.length;
    let pos = 0;
    if (this.length >= 0 || this.prefixBytes > 0) {
      pos = this.resume(chunk, onEnvelope);
      if (pos === size) return;
    }
    // Fast path: whole messages inside this chunk are views of it.
    while (size - pos >= PREFIX_BYTES) {
      const flags = chunk[pos] as number;
      const length = readUint32(chunk, pos + 1);
      this.check(length);
      const start = pos + PREFIX_BYTES;
      if (size - start < length) {
        this.flags = flags;
        this.length = length;
        this.received = size - start;
        this.parts.push(chunk.subarray(start));
        return;
      }
      pos = start + length;
      onEnvelope(flags, chunk.subarray(start, pos));
    }
    if (pos < size) this.savePrefix(chunk, pos, size);
  }

  end(): void {
    const { length, received, prefixBytes } = this;
    this.reset();
    this.prefixBytes = 0;
    if (length >= 0) {
      throw new ConnectError(`truncated message: the stream ended after ${received} of ${length} bytes`, Code.Internal);
    }
    if (prefixBytes > 0) {
      throw new ConnectError(`truncated message: the stream ended after ${prefixBytes} of the ${PREFIX_BYTES} prefix bytes`, Code.Internal);
    }
  }

  /** Continues the message in progress with `chunk`; returns the bytes of `chunk` consumed. */
  private resume(chunk: Uint8Array, onEnvelope: (flags: number, data: Uint8Array) => void): number {
    let pos = 0;
    if (this.length < 0) {
      const prefix = this.prefix as Uint8Array;
      pos = Math.min(PREFIX_BYTES - this.prefixBytes, chunk.length);
      prefix.set(chunk.subarray(0, pos), this.prefixBytes);
      this.prefixBytes += pos;
      if (this.prefixBytes < PREFIX_BYTES) return pos;
      const length = readUint32(prefix, 1);
      this.check(length);
      this.prefixBytes = 0;
      this.flags = prefix[0] as number;
      this.length = length;
      this.received = 0;
    }
    const needed = this.length - this.received;
    const available = chunk.length - pos;
    if (available < needed) {
      if (available > 0) this.parts.push(pos === 0 ? chunk : chunk.subarray(pos));
      this.received += available;
      return chunk.length;
    }
    const end = pos + needed;
    if (needed > 0) this.parts.push(chunk.subarray(pos, end));
    const { parts, flags, length } = this;
    const data = parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts, length);
    this.reset();
    onEnvelope(flags, data);
    return end;
  }

  private savePrefix(chunk: Uint8Array, pos: number, size: number): void {
    this.prefix ??= new Uint8Array(PREFIX_BYTES);
    this.prefix.set(chunk.subarray(pos, size), 0);
    this.prefixBytes = size - pos;
  }

  private check(length: number): void {
    if (length > this.readMaxBytes) {
      this.reset();
      // Our own limit: marked, so the call is not retried into the same response.
      throw clientLimitError(`message size ${length} is larger than configured readMaxBytes ${this.readMaxBytes}`);
    }
  }

  private reset(): void {
    this.length = -1;
    this.received = 0;
    if (this.parts.length > 0) this.parts = [];
  }
}

/** Reads a big-endian uint32 without a DataView (Message-Length, PROTOCOL-HTTP2.md). */
function readUint32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) * 0x1000000 + (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
  );
}

/** Joins `parts` into one array of `length` bytes. */
function concatBytes(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
