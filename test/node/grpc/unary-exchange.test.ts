import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { CallRegistry, GrpcCall } from "../../../src/call/grpc-call.js";
import { systemClock } from "../../../src/interceptors/backoff.js";
import { encodeEnvelope } from "../../../src/node/grpc/envelope.js";
import { exchangeUnary } from "../../../src/node/grpc/unary-exchange.js";

/** The events the exchange listens to; after it settles, none of its listeners may be left on the stream. */
const events = ["response", "data", "trailers", "error", "close"] as const;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A gRPC server on loopback answering every stream with `respond`, and a client session to it. */
async function connected(respond: (stream: http2.ServerHttp2Stream) => void): Promise<http2.ClientHttp2Session> {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    stream.resume();
    respond(stream);
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

function answerOk(stream: http2.ServerHttp2Stream): void {
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(encodeEnvelope(0, new Uint8Array([8, 1])));
}

/** Opens a stream and counts, per event, the listeners someone other than the exchange put there. */
function open(session: http2.ClientHttp2Session): { stream: http2.ClientHttp2Stream; before: number[] } {
  const stream = session.request({ ":method": "POST", ":path": "/test.v1.Test/Unary", "content-type": "application/grpc", te: "trailers" });
  // The pool's own 'error' listener, which stays for the stream's whole life.
  stream.on("error", () => {});
  return { stream, before: events.map((e) => stream.listenerCount(e)) };
}

const newCall = () => new GrpcCall(new CallRegistry(), systemClock, "test.v1.Test/Unary", undefined, undefined);
const frame = encodeEnvelope(0, new Uint8Array([8, 1]));

describe("exchangeUnary", () => {
  it("takes its listeners off the stream when the call succeeds, so a closed stream holds nothing of the call", async () => {
    const session = await connected(answerOk);
    const { stream, before } = open(session);
    const bytes = await exchangeUnary(newCall(), stream, frame, 1 << 20, "http://test", undefined, (_c, b) => b);
    expect([...bytes]).toEqual([8, 1]);
    expect(events.map((e) => stream.listenerCount(e))).toEqual(before);
  });

  it("takes its listeners off the stream when the server fails the call", async () => {
    const session = await connected((stream) =>
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "no such user" },
        { endStream: true },
      ),
    );
    const { stream, before } = open(session);
    const failure = exchangeUnary(newCall(), stream, frame, 1 << 20, "http://test", undefined, (_c, b) => b);
    await expect(failure).rejects.toMatchObject({ code: Code.NotFound });
    expect(events.map((e) => stream.listenerCount(e))).toEqual(before);
  });

  it("takes its listeners off the stream when the call is cancelled, and the stream still has a listener for its errors", async () => {
    const session = await connected(() => {}); // never answers
    const { stream, before } = open(session);
    const call = newCall();
    const pending = exchangeUnary(call, stream, frame, 1 << 20, "http://test", undefined, (_c, b) => b);
    call.cancel(new ConnectError("caller gave up", Code.Canceled));
    await expect(pending).rejects.toMatchObject({ code: Code.Canceled });
    expect(events.map((e) => stream.listenerCount(e))).toEqual(before);
    expect(stream.listenerCount("error")).toBeGreaterThan(0);
    await new Promise((resolve) => stream.once("close", resolve));
  });
});
