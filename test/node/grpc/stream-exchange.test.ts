import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CallRegistry, GrpcCall } from "../../../src/call/grpc-call.js";
import { systemClock } from "../../../src/interceptors/backoff.js";
import { encodeEnvelope } from "../../../src/node/grpc/envelope.js";
import { ResponseStream } from "../../../src/node/grpc/stream-exchange.js";

/** The events the exchange listens to; once it is over, none of its listeners may be left on the stream. */
const events = ["response", "data", "trailers", "error", "close"] as const;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A server on loopback that answers every stream with `count` messages and OK, and a client session to it. */
async function connected(count: number): Promise<http2.ClientHttp2Session> {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    stream.resume();
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    for (let i = 0; i < count; i++) stream.write(encodeEnvelope(0, new Uint8Array([8, i])));
    stream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  session.on("error", () => {});
  cleanups.push(async () => {
    session.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return session;
}

function open(session: http2.ClientHttp2Session): { stream: http2.ClientHttp2Stream; before: number[] } {
  const stream = session.request({
    ":method": "POST",
    ":path": "/test.v1.Test/Stream",
    "content-type": "application/grpc",
    te: "trailers",
  });
  // The pool's own 'error' listener, which stays for the stream's whole life.
  stream.on("error", () => {});
  stream.end(encodeEnvelope(0, new Uint8Array(0)));
  return { stream, before: events.map((e) => stream.listenerCount(e)) };
}

const newCall = () => new GrpcCall(new CallRegistry(), systemClock, "test.v1.Test/Stream", undefined, undefined);

describe("ResponseStream", () => {
  it("takes its listeners off the stream once the stream ended, keeping the messages the reader has not read yet", async () => {
    const session = await connected(3);
    const { stream, before } = open(session);
    const exchange = new ResponseStream(newCall(), stream, (bytes) => ({ bytes }) as never, 1 << 20, "http://test");
    await new Promise((resolve) => stream.once("close", resolve));
    expect(events.map((e) => stream.listenerCount(e))).toEqual(before);
    let received = 0;
    for await (const _ of exchange) received++;
    expect(received).toBe(3);
  });

  it("takes its listeners off the stream when the reader leaves early", async () => {
    const session = await connected(50);
    const { stream, before } = open(session);
    const exchange = new ResponseStream(newCall(), stream, (bytes) => ({ bytes }) as never, 1 << 20, "http://test");
    for await (const _ of exchange) break;
    expect(events.map((e) => stream.listenerCount(e))).toEqual(before);
    expect(stream.listenerCount("error")).toBeGreaterThan(0);
  });
});
