import * as http2 from "node:http2";
import type * as net from "node:net";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterEach } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import {
  createMemoryUserRepository,
  createUserService,
  createUserServiceServer,
  type UserServiceServer,
  type UserServiceServerOptions,
} from "../../src/users/server.js";
import { TEST_TOKEN } from "./test-server.js";

/** A server on its own loopback address that counts the UserService calls it runs. */
export interface CountingServer {
  readonly url: string;
  /** UserService calls that reached the handlers (health checks are not counted). */
  calls(): number;
  /** The reference server, for `health` and `close`; undefined for a plain server. */
  readonly server: UserServiceServer | undefined;
  close(): Promise<void>;
}

/** Counts the UserService calls that get past auth, on any protocol. */
function callCounter(): { interceptor: Interceptor; calls: () => number } {
  let calls = 0;
  return {
    interceptor: (next) => (req) => {
      if (req.service.typeName === UserService.typeName) calls++;
      return next(req);
    },
    calls: () => calls,
  };
}

/**
 * Registers an afterEach that closes every server it started, and returns
 * starters: `reference(host)` is the reference server (token TEST_TOKEN,
 * Health included) on `host` (any 127.x.y.z), `plain(host)` an HTTP/2 server
 * with UserService only (no Health, no auth). Call it at the top level of a test file.
 */
export function useCountingServers(): {
  reference(host: string, options?: UserServiceServerOptions): Promise<CountingServer>;
  plain(host: string): Promise<CountingServer>;
} {
  const running: CountingServer[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });
  return {
    async reference(host, options = {}) {
      const counter = callCounter();
      const server = createUserServiceServer({
        token: TEST_TOKEN,
        graceMs: 1000,
        ...options,
        interceptors: [counter.interceptor, ...(options.interceptors ?? [])],
      });
      const { url } = await server.listen(0, host);
      const s: CountingServer = { url, calls: counter.calls, server, close: () => server.close({ graceMs: 0 }) };
      running.push(s);
      return s;
    },
    async plain(host) {
      const counter = callCounter();
      const repository = createMemoryUserRepository();
      const h2 = http2.createServer(
        connectNodeAdapter({
          routes(router: ConnectRouter) {
            router.service(UserService, createUserService(repository));
          },
          interceptors: [counter.interceptor],
        }),
      );
      const sessions = new Set<http2.Http2Session>();
      h2.on("session", (session) => {
        sessions.add(session);
        session.on("close", () => sessions.delete(session));
        session.on("error", () => {});
      });
      const port = await new Promise<number>((resolve, reject) => {
        h2.once("error", reject);
        h2.listen(0, host, () => resolve((h2.address() as net.AddressInfo).port));
      });
      let closing: Promise<void> | undefined;
      const s: CountingServer = {
        url: `http://${host}:${port}`,
        calls: counter.calls,
        server: undefined,
        close() {
          closing ??= new Promise<void>((resolve) => {
            h2.close(() => resolve());
            for (const session of sessions) session.destroy();
          });
          return closing;
        },
      };
      running.push(s);
      return s;
    },
  };
}
