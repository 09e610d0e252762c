import * as net from "node:net";

/**
 * A hostile HTTP/2 peer: a raw TCP server on 127.0.0.1 that speaks HTTP/2
 * (RFC 9113) at the byte level, so a test can send what no well-behaved
 * server library would: PUSH_PROMISE, DATA before HEADERS, broken HPACK,
 * oversized frames, a GOAWAY or a FIN in the middle of a message.
 *
 * It writes its own SETTINGS, acknowledges the client's SETTINGS and PINGs,
 * and hands every new request stream (a client HEADERS frame) to a handler.
 * Header blocks it sends are HPACK "literal header field without indexing,
 * new name" (RFC 7541 section 6.2.2), so it needs no dynamic table; it never
 * decodes the client's header blocks (they may use Huffman coding and the
 * dynamic table), only frame headers.
 */

/** RFC 9113 section 6 frame types. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/** SETTINGS_MAX_FRAME_SIZE's initial value: DATA is split at this size. */
const MAX_FRAME = 16_384;

export type HeaderList = readonly (readonly [string, string])[];

/** One client connection as the peer sees it, with a method per frame it can send. */
export interface PeerConnection {
  /** 0 for the first connection the peer accepted, 1 for the next... */
  readonly index: number;
  readonly socket: net.Socket;
  /** Writes one frame as given, nothing checked. */
  frame(type: number, flags: number, streamId: number, payload: Uint8Array): void;
  /** Writes raw bytes. */
  raw(bytes: Uint8Array): void;
  headers(streamId: number, fields: HeaderList, endStream?: boolean): void;
  /** DATA, split into frames of at most 16,384 bytes; END_STREAM on the last when asked. */
  data(streamId: number, bytes: Uint8Array, endStream?: boolean): void;
  rst(streamId: number, code: number): void;
  goaway(lastStreamId: number, code: number, debug?: string): void;
  pushPromise(streamId: number, promisedStreamId: number, fields: HeaderList): void;
  ping(): void;
  /** Response headers of a gRPC (or gRPC-Web) response: `:status` and content-type first. */
  respond(streamId: number, status?: number, contentType?: string, extra?: HeaderList): void;
  /** One length-prefixed message (PROTOCOL-HTTP2.md) as DATA. */
  message(streamId: number, bytes: Uint8Array, flags?: number, endStream?: boolean): void;
  /** Trailers with END_STREAM. */
  trailers(streamId: number, fields: HeaderList): void;
  /** Half-closes the TCP connection (FIN). */
  end(): void;
  /** Resets the TCP connection (RST). */
  reset(): void;
}

/** Called for each request stream the client opens; `index` counts requests over every connection. */
export type RequestHandler = (connection: PeerConnection, streamId: number, index: number) => void;

export interface HostilePeer {
  /** "http://127.0.0.1:<port>" */
  readonly url: string;
  /** Request streams seen so far. */
  readonly requests: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Request streams the client reset (RST_STREAM from the client), as "connection:stream". */
  readonly clientResets: string[];
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a hostile peer on 127.0.0.1, port 0. */
export async function startHostilePeer(onRequest: RequestHandler): Promise<HostilePeer> {
  const sockets = new Set<net.Socket>();
  let requests = 0;
  let connections = 0;
  const clientResets: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // A client that resets or vanishes mid-write is part of the game.
    socket.on("error", () => {});
    socket.setNoDelay(true);
    const connection = createPeerConnection(socket, connections++);
    connection.frame(FrameType.SETTINGS, 0, 0, new Uint8Array(0));
    let buffered: Buffer = Buffer.alloc(0);
    let prefaceSeen = false;
    socket.on("data", (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      if (!prefaceSeen) {
        if (buffered.length < PREFACE.length) return;
        if (buffered.subarray(0, PREFACE.length).toString("latin1") !== PREFACE) {
          socket.destroy();
          return;
        }
        prefaceSeen = true;
        buffered = buffered.subarray(PREFACE.length);
      }
      while (buffered.length >= 9) {
        const length = buffered.readUIntBE(0, 3);
        if (buffered.length < 9 + length) return;
        const type = buffered[3] as number;
        const flags = buffered[4] as number;
        const streamId = buffered.readUInt32BE(5) & 0x7fffffff;
        const payload = buffered.subarray(9, 9 + length);
        buffered = buffered.subarray(9 + length);
        if (socket.destroyed) return;
        switch (type) {
          case FrameType.SETTINGS:
            if ((flags & ACK) === 0) connection.frame(FrameType.SETTINGS, ACK, 0, new Uint8Array(0));
            break;
          case FrameType.PING:
            if ((flags & ACK) === 0) connection.frame(FrameType.PING, ACK, 0, payload);
            break;
          case FrameType.RST_STREAM:
            clientResets.push(`${connection.index}:${streamId}`);
            break;
          case FrameType.HEADERS:
            // Only a request's first HEADERS opens a stream: client ids are odd and rising.
            onRequest(connection, streamId, requests++);
            break;
          default:
            break;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    get connections() {
      return connections;
    },
    clientResets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function createPeerConnection(socket: net.Socket, index: number): PeerConnection {
  const write = (bytes: Uint8Array) => {
    if (!socket.destroyed && socket.writable) socket.write(bytes);
  };
  const frame = (type: number, flags: number, streamId: number, payload: Uint8Array) => write(encodeFrame(type, flags, streamId, payload));
  const connection: PeerConnection = {
    index,
    socket,
    frame,
    raw: write,
    headers(streamId, fields, endStream = false) {
      frame(FrameType.HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), streamId, encodeHeaderBlock(fields));
    },
    data(streamId, bytes, endStream = false) {
      if (bytes.length === 0) {
        frame(FrameType.DATA, endStream ? END_STREAM : 0, streamId, bytes);
        return;
      }
      for (let at = 0; at < bytes.length; at += MAX_FRAME) {
        const last = at + MAX_FRAME >= bytes.length;
        frame(FrameType.DATA, last && endStream ? END_STREAM : 0, streamId, bytes.subarray(at, at + MAX_FRAME));
      }
    },
    rst(streamId, code) {
      const payload = Buffer.alloc(4);
      payload.writeUInt32BE(code);
      frame(FrameType.RST_STREAM, 0, streamId, payload);
    },
    goaway(lastStreamId, code, debug = "") {
      const payload = Buffer.alloc(8 + Buffer.byteLength(debug));
      payload.writeUInt32BE(lastStreamId, 0);
      payload.writeUInt32BE(code, 4);
      payload.write(debug, 8);
      frame(FrameType.GOAWAY, 0, 0, payload);
    },
    pushPromise(streamId, promisedStreamId, fields) {
      const block = encodeHeaderBlock(fields);
      const payload = Buffer.alloc(4 + block.length);
      payload.writeUInt32BE(promisedStreamId, 0);
      payload.set(block, 4);
      frame(FrameType.PUSH_PROMISE, END_HEADERS, streamId, payload);
    },
    ping() {
      frame(FrameType.PING, 0, 0, Buffer.alloc(8));
    },
    respond(streamId, status = 200, contentType = "application/grpc", extra = []) {
      connection.headers(streamId, [[":status", String(status)], ["content-type", contentType], ...extra]);
    },
    message(streamId, bytes, flags = 0, endStream = false) {
      connection.data(streamId, envelope(bytes, flags), endStream);
    },
    trailers(streamId, fields) {
      connection.headers(streamId, fields, true);
    },
    end() {
      socket.end();
    },
    reset() {
      socket.resetAndDestroy();
    },
  };
  return connection;
}

/** A 9-byte frame header and its payload (RFC 9113 section 4.1). */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Uint8Array): Buffer {
  const bytes = Buffer.alloc(9 + payload.length);
  bytes.writeUIntBE(payload.length, 0, 3);
  bytes[3] = type;
  bytes[4] = flags;
  bytes.writeUInt32BE(streamId & 0x7fffffff, 5);
  bytes.set(payload, 9);
  return bytes;
}

/** An HPACK header block of literal fields without indexing, new names, no Huffman (RFC 7541 6.2.2). */
export function encodeHeaderBlock(fields: HeaderList): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    parts.push(Buffer.from([0x00]), hpackString(name), hpackString(value));
  }
  return Buffer.concat(parts);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, "latin1");
  return Buffer.concat([hpackInteger(bytes.length, 7, 0x00), bytes]);
}

/** RFC 7541 section 5.1 integer with an N-bit prefix. */
export function hpackInteger(value: number, prefixBits: number, firstByteFlags: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByteFlags | value]);
  const out = [firstByteFlags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** A gRPC length-prefixed message: Compressed-Flag, uint32 length, bytes. */
export function envelope(bytes: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + bytes.length);
  out[0] = flags;
  out.writeUInt32BE(bytes.length, 1);
  out.set(bytes, 5);
  return out;
}
