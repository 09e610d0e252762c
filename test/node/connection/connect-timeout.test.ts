import { createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { UserService } from "../../../gen/user/v1/user_service_pb.js";
import {
  createTransport,
  DeadlineExceededError,
  type NodeTransport,
  type TransportOptions,
  UnavailableError,
} from "../../../src/node/index.js";
import { type SilentListener, startSilentListener } from "../../helpers/silent-listener.js";
import { rejection } from "../../helpers/test-server.js";

// A host that accepts TCP and then says nothing: the classic "call hangs
// forever" (connect-es #463, grpc-node #2785). Ours gives up at the connect timeout.

describe("the connect timeout", () => {
  let silent: SilentListener | undefined;
  const transports: NodeTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close({ graceMs: 0 })));
    await silent?.close();
  });

  function call(options: Omit<TransportOptions, "baseUrl">, timeoutMs?: number) {
    const transport = createTransport({ baseUrl: silent!.url, ...options });
    transports.push(transport);
    const started = performance.now();
    const result = rejection(createClient(Health, transport).check({}, timeoutMs === undefined ? {} : { timeoutMs }));
    return result.then((error) => ({ error, elapsedMs: performance.now() - started }));
  }

  it("fails a call to a host that never completes the HTTP/2 handshake with UNAVAILABLE naming it, within connectTimeoutMs + 10%", async () => {
    silent = await startSilentListener();
    const { error, elapsedMs } = await call({ connectTimeoutMs: 1_000, retry: false });
    console.log(`silent host, connectTimeoutMs 1000: ${error.constructor.name} after ${elapsedMs.toFixed(0)} ms`);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.rawMessage).toBe(`cannot connect to ${silent.url}: no HTTP/2 connection within 1000 ms`);
    expect(elapsedMs).toBeGreaterThanOrEqual(995);
    expect(elapsedMs).toBeLessThan(1_100);
    expect(silent.connections()).toBe(1);
  });

  it("lets a shorter call deadline win with DEADLINE_EXCEEDED", async () => {
    silent = await startSilentListener();
    const { error, elapsedMs } = await call({ connectTimeoutMs: 5_000, retry: false }, 200);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(elapsedMs).toBeLessThan(400);
  });

  it("stays bounded with the default retry policy: the endpoint is in backoff, so retries fail fast", async () => {
    silent = await startSilentListener();
    const { error, elapsedMs } = await call({ connectTimeoutMs: 400 });
    console.log(`silent host with retries: ${error.constructor.name} after ${elapsedMs.toFixed(0)} ms`);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(elapsedMs).toBeLessThan(2 * 400 + 1_000);
  });

  it("fails at once with UNAVAILABLE for a port nobody listens on, and the call was never sent", async () => {
    const closed = await startSilentListener();
    const url = closed.url;
    await closed.close();
    const transport = createTransport({ baseUrl: url, retry: false });
    transports.push(transport);
    const started = performance.now();
    const error = await rejection(createClient(UserService, transport).createUser({ email: "a@b.c", name: "A" }));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.rawMessage).toMatch(new RegExp(`^cannot connect to ${url}: .*ECONNREFUSED`));
    expect(performance.now() - started).toBeLessThan(500);
    expect(transport.state()).toBe("transient_failure");
    expect(transport.endpoints()).toEqual([{ origin: url, state: "transient_failure", serving: undefined, lastError: error.rawMessage }]);
  });
});
