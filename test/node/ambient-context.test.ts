import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createCorrelationInterceptor } from "../../src/interceptors/correlation-interceptor.js";
import { createDeadlineInterceptor } from "../../src/interceptors/deadline-interceptor.js";
import { readTimeoutHeader } from "../../src/interceptors/timeout-header.js";
import {
  createAmbientContextServerInterceptor,
  currentCorrelationId,
  currentDeadline,
  nodeAmbientCorrelationId,
  nodeAmbientDeadline,
  withCorrelationId,
  withDeadline,
} from "../../src/node/ambient-context.js";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("ambient call context", () => {
  it("has no deadline or correlation id outside withDeadline and withCorrelationId", () => {
    expect(currentDeadline()).toBeUndefined();
    expect(currentCorrelationId()).toBeUndefined();
  });

  it("keeps the earlier deadline when deadlines nest", async () => {
    const before = Date.now();
    await withDeadline(1_000, async () => {
      const outer = currentDeadline()!;
      expect(outer - before).toBeGreaterThanOrEqual(1_000);
      expect(outer - before).toBeLessThan(1_100);
      await new Promise((r) => setTimeout(r, 1));
      expect(currentDeadline()).toBe(outer);
      expect(withDeadline(5_000, () => currentDeadline())).toBe(outer);
      expect(withDeadline(10, () => currentDeadline())).toBeLessThan(outer);
    });
  });

  it("carries the correlation id alongside the deadline", () => {
    withCorrelationId("c-1", () => {
      withDeadline(100, () => {
        expect(currentCorrelationId()).toBe("c-1");
        expect(withCorrelationId("c-2", () => [currentCorrelationId(), currentDeadline()])).toEqual(["c-2", currentDeadline()]);
      });
    });
  });

  it("rejects a bad timeout or correlation id", () => {
    expect(() => withDeadline(-1, () => 0)).toThrow(/invalid withDeadline timeoutMs -1/);
    expect(() => withDeadline(Number.NaN, () => 0)).toThrow(/invalid withDeadline timeoutMs/);
    expect(() => withCorrelationId("has space", () => 0)).toThrow(/invalid withCorrelationId id/);
  });
});

describe("createAmbientContextServerInterceptor", () => {
  it("covers unary handlers and every step of streaming handlers in memory", async () => {
    const seen: Array<[string, string | undefined, boolean]> = [];
    const note = (where: string) => seen.push([where, currentCorrelationId(), currentDeadline() !== undefined]);
    const transport = createRouterTransport(
      ({ service }) => {
        service(UserService, {
          async getUser() {
            await new Promise((r) => setTimeout(r, 1));
            note("getUser");
            return {};
          },
          async *watchUsers() {
            note("watchUsers start");
            yield { sequence: 1n };
            await new Promise((r) => setTimeout(r, 1));
            note("watchUsers after first message");
            yield { sequence: 2n };
          },
          async *syncUsers(requests) {
            for await (const _ of requests) {
              note("syncUsers message");
              yield {};
            }
          },
        });
      },
      { router: { interceptors: [createAmbientContextServerInterceptor()] } },
    );
    const client = createClient(UserService, transport);
    const headers = { "x-correlation-id": "mem-1" };
    await client.getUser({}, { headers, timeoutMs: 1_000 });
    for await (const _ of client.watchUsers({}, { headers, timeoutMs: 1_000 })) {
      // drain
    }
    async function* two() {
      yield {};
      yield {};
    }
    for await (const _ of client.syncUsers(two(), { headers })) {
      // drain
    }
    expect(seen).toEqual([
      ["getUser", "mem-1", true],
      ["watchUsers start", "mem-1", true],
      ["watchUsers after first message", "mem-1", true],
      ["syncUsers message", "mem-1", false],
      ["syncUsers message", "mem-1", false],
    ]);
  });

  it("ignores an incoming correlation id that is not a plain token", async () => {
    let seen: string | undefined = "unset";
    const transport = createRouterTransport(
      ({ service }) => {
        service(UserService, {
          getUser() {
            seen = currentCorrelationId();
            return {};
          },
        });
      },
      { router: { interceptors: [createAmbientContextServerInterceptor()] } },
    );
    await createClient(UserService, transport).getUser({}, { headers: { "x-correlation-id": "a b" } });
    expect(seen).toBeUndefined();
  });
});

describe("ambient context over a real HTTP/2 server", () => {
  let server: http2.Http2Server;
  let sessions: Set<http2.ServerHttp2Session>;
  let managers: Http2SessionManager[];
  let baseUrl: string;
  let inner: Array<{ grpcTimeout: string | null; correlationId: string | null }>;

  beforeEach(async () => {
    inner = [];
    sessions = new Set();
    managers = [];
    // Calls made inside handlers go through the client interceptors, which
    // read the ambient context the server interceptor set up.
    const innerClient = (): Client<typeof UserService> =>
      createClient(
        UserService,
        createGrpcTransport({
          baseUrl,
          sessionManager: manager(),
          interceptors: [
            createCorrelationInterceptor({ ambientCorrelationId: nodeAmbientCorrelationId }),
            createDeadlineInterceptor({ ambientDeadline: nodeAmbientDeadline }),
          ],
        }),
      );
    server = http2.createServer(
      connectNodeAdapter({
        interceptors: [createAmbientContextServerInterceptor()],
        routes({ service }) {
          service(UserService, {
            async getUser() {
              await new Promise((r) => setTimeout(r, 20));
              await innerClient().listUsers({});
              return {};
            },
            async *watchUsers() {
              yield { sequence: 1n };
              await new Promise((r) => setTimeout(r, 20));
              await innerClient().listUsers({});
              yield { sequence: 2n };
            },
            listUsers(_req, ctx) {
              inner.push({
                grpcTimeout: ctx.requestHeader.get("grpc-timeout"),
                correlationId: ctx.requestHeader.get("x-correlation-id"),
              });
              return {};
            },
          });
        },
      }),
    );
    server.on("session", (session) => {
      sessions.add(session);
      session.on("close", () => sessions.delete(session));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const m of managers) m.abort();
    const closed = [...sessions].map((session) => new Promise((r) => session.once("close", r)));
    for (const session of sessions) session.destroy();
    await Promise.all(closed);
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    expect(sessions.size).toBe(0);
  });

  function manager(): Http2SessionManager {
    const m = new Http2SessionManager(baseUrl);
    managers.push(m);
    return m;
  }

  function outerClient(): Client<typeof UserService> {
    return createClient(UserService, createGrpcTransport({ baseUrl, sessionManager: manager() }));
  }

  it("gives an inner call no more than the outer grpc-timeout and the same correlation id", async () => {
    await outerClient().getUser({}, { timeoutMs: 2_000, headers: { "x-correlation-id": "corr-123" } });
    expect(inner).toHaveLength(1);
    const timeoutMs = readTimeoutHeader(new Headers({ "grpc-timeout": inner[0]!.grpcTimeout! }))!;
    expect(timeoutMs).toBeGreaterThan(1_000);
    expect(timeoutMs).toBeLessThanOrEqual(2_000);
    expect(inner[0]!.correlationId).toBe("corr-123");
  });

  it("propagates from inside a server-streaming handler after its first message", async () => {
    const sequences: bigint[] = [];
    for await (const res of outerClient().watchUsers({}, { timeoutMs: 2_000, headers: { "x-correlation-id": "corr-456" } })) {
      sequences.push(res.sequence);
    }
    expect(sequences).toEqual([1n, 2n]);
    const timeoutMs = readTimeoutHeader(new Headers({ "grpc-timeout": inner[0]!.grpcTimeout! }))!;
    expect(timeoutMs).toBeLessThanOrEqual(2_000);
    expect(inner[0]!.correlationId).toBe("corr-456");
  });

  it("uses the inner call's own default and a new id when the outer call brought none", async () => {
    await outerClient().getUser({});
    expect(inner).toHaveLength(1);
    expect(inner[0]!.grpcTimeout).toBe("5000m");
    expect(inner[0]!.correlationId).toMatch(uuidPattern);
  });
});
