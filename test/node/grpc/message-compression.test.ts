import * as zlib from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { checkEncoding, compressMessage, decompressMessage, grpcAcceptEncoding } from "../../../src/node/grpc/message-compression.js";

function catchError(fn: () => unknown): ConnectError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConnectError) return e;
    throw e;
  }
  throw new Error("expected a ConnectError");
}

const text = new TextEncoder().encode("user u-42 ".repeat(200));

describe("message compression", () => {
  it("advertises gzip and br", () => {
    expect(grpcAcceptEncoding).toBe("gzip, br");
  });

  it("round-trips a message through gzip and br", () => {
    for (const encoding of ["gzip", "br"] as const) {
      const compressed = compressMessage(encoding, text);
      expect(compressed.length).toBeLessThan(text.length / 4);
      expect(decompressMessage(encoding, compressed, text.length)).toEqual(Buffer.from(text));
    }
  });

  it("compresses in the standard formats other peers decode", () => {
    expect(zlib.gunzipSync(compressMessage("gzip", text))).toEqual(Buffer.from(text));
    expect(zlib.brotliDecompressSync(compressMessage("br", text))).toEqual(Buffer.from(text));
  });

  it("decodes deflate (zlib format) and encodings in upper case", () => {
    expect(decompressMessage("deflate", zlib.deflateSync(text), 1 << 20)).toEqual(Buffer.from(text));
    expect(decompressMessage("GZIP", zlib.gzipSync(text), 1 << 20)).toEqual(Buffer.from(text));
  });

  it("accepts a message that inflates to exactly readMaxBytes", () => {
    expect(decompressMessage("gzip", zlib.gzipSync(text), text.length)).toHaveLength(text.length);
  });

  it("fails a decompression bomb with RESOURCE_EXHAUSTED without allocating its output", () => {
    const zeros = Buffer.alloc(16 * 1024 * 1024);
    const fast = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } };
    const bombs = [
      ["gzip", zlib.gzipSync(zeros)],
      ["br", zlib.brotliCompressSync(zeros, fast)],
      ["deflate", zlib.deflateSync(zeros)],
    ] as const;
    const before = process.memoryUsage().arrayBuffers;
    for (const [encoding, bomb] of bombs) {
      const error = catchError(() => decompressMessage(encoding, bomb, 1024 * 1024));
      expect(error.code).toBe(Code.ResourceExhausted);
      expect(error.rawMessage).toBe("decompressed message size is larger than configured readMaxBytes 1048576");
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it("fails with RESOURCE_EXHAUSTED when readMaxBytes is 0 and the message is not empty", () => {
    expect(catchError(() => decompressMessage("gzip", zlib.gzipSync(Uint8Array.of(1)), 0)).code).toBe(Code.ResourceExhausted);
    expect(decompressMessage("gzip", zlib.gzipSync(new Uint8Array(0)), 0)).toHaveLength(0);
  });

  it("fails corrupt or truncated data with INTERNAL naming the encoding and zlib's reason", () => {
    const garbage = Buffer.from("not compressed at all");
    const gzip = catchError(() => decompressMessage("gzip", garbage, 1024));
    expect(gzip.code).toBe(Code.Internal);
    expect(gzip.rawMessage).toBe("invalid gzip data: incorrect header check");
    expect(gzip.cause).toBeInstanceOf(Error);
    const gz = zlib.gzipSync(text);
    expect(catchError(() => decompressMessage("gzip", gz.subarray(0, gz.length - 4), 1 << 20)).rawMessage).toBe(
      "invalid gzip data: unexpected end of file",
    );
    expect(catchError(() => decompressMessage("br", garbage, 1024)).rawMessage).toMatch(/^invalid br data: /);
    expect(catchError(() => decompressMessage("deflate", garbage, 1024)).code).toBe(Code.Internal);
  });

  it("fails an encoding it does not support with INTERNAL naming it and the supported ones", () => {
    const error = catchError(() => decompressMessage("snappy", text, 1024));
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe('unsupported grpc-encoding "snappy": this client accepts gzip, br, deflate');
  });

  it("fails a compressed message without grpc-encoding or with identity with INTERNAL", () => {
    for (const [encoding, said] of [
      [undefined, "absent"],
      ["", "absent"],
      ["identity", '"identity"'],
    ] as const) {
      const error = catchError(() => decompressMessage(encoding, zlib.gzipSync(text), 1 << 20));
      expect(error.code).toBe(Code.Internal);
      expect(error.rawMessage).toBe(`invalid message: the compressed flag is set but grpc-encoding is ${said}`);
    }
  });

  it("checks a response's grpc-encoding without a message", () => {
    for (const ok of [undefined, "", "identity", "gzip", "br", "deflate", "Gzip"]) expect(checkEncoding(ok)).toBeUndefined();
    const error = checkEncoding("zstd");
    expect(error?.code).toBe(Code.Internal);
    expect(error?.rawMessage).toBe('unsupported grpc-encoding "zstd": this client accepts gzip, br, deflate');
  });
});
