import { Code } from "@connectrpc/connect";
import { afterEach, expect, it } from "vitest";
import { describeInBrowser, openPageOn, useBrowser } from "../helpers/browser.js";
import { fault, useFaultyServers } from "../helpers/fault-interceptor.js";
import { eventually, TEST_TOKEN } from "../helpers/test-server.js";

// The package's browser entry running inside Chromium against the real
// reference server on loopback: fetch, CORS-free same-origin calls, real
// gRPC-Web and Connect framing, and errors typed inside the page.

for (const protocol of ["grpc-web", "connect"] as const) {
  describeInBrowser(`the web client inside Chromium over ${protocol}`, () => {
    const browser = useBrowser();
    const startServer = useFaultyServers();
    let pageErrors: string[] = [];

    afterEach(() => {
      expect(pageErrors, "uncaught errors in the page").toEqual([]);
    });

    async function open(faults: Parameters<typeof startServer>[0] = []) {
      const { s, faults: log } = await startServer(faults);
      const { page, errors } = await openPageOn(browser(), s.url);
      pageErrors = errors;
      return { page, url: s.url, log, server: s.server };
    }

    const args = (url: string) => ({ url, protocol, token: TEST_TOKEN });

    it("makes every unary RPC: create, get, update, list and delete", async () => {
      const { page, url } = await open();
      const result = await page.evaluate(async ({ url, protocol, token }) => {
        const { userClientFor } = window.userctl;
        const client = userClientFor({ baseUrl: url, protocol, auth: token });
        const created = await client.createUser({ name: "Ada", email: "ada@example.com", age: 36, roles: ["admin"] });
        const fetched = await client.getUser(created.id);
        const updated = await client.updateUser(created.id, { name: "Ada Lovelace" });
        const page = await client.listUsers({ pageSize: 10 });
        await client.deleteUser(created.id);
        const after = await client.listUsers({});
        return {
          created: { email: created.email, roles: created.roles, age: created.age },
          fetchedId: fetched.id === created.id,
          updatedName: updated.name,
          listed: page.users.map((u) => u.email),
          total: page.totalSize,
          afterDelete: after.totalSize,
        };
      }, args(url));
      expect(result).toEqual({
        created: { email: "ada@example.com", roles: ["admin"], age: 36 },
        fetchedId: true,
        updatedName: "Ada Lovelace",
        listed: ["ada@example.com"],
        total: 1,
        afterDelete: 0,
      });
    });

    it("streams WatchUsers events as they happen (server streaming over fetch)", async () => {
      const { page, url } = await open();
      const events = await page.evaluate(async ({ url, protocol, token }) => {
        const { userClientFor } = window.userctl;
        const client = userClientFor({ baseUrl: url, protocol, auth: token });
        const stop = new AbortController();
        const seen: string[] = [];
        const watching = (async () => {
          for await (const event of client.watchUsers({}, { signal: stop.signal })) {
            seen.push(`${event.sequence}:${event.type}:${event.user?.email}`);
            if (seen.length === 3) stop.abort();
          }
        })().catch((e: unknown) => (stop.signal.aborted ? undefined : Promise.reject(e)));
        // Give the stream a moment to open, since sequence 0 means "from now on".
        await new Promise((resolve) => setTimeout(resolve, 200));
        const user = await client.createUser({ name: "Grace", email: "grace@example.com" });
        await client.updateUser(user.id, { name: "Grace Hopper" });
        await client.deleteUser(user.id);
        await watching;
        return seen;
      }, args(url));
      expect(events).toEqual(["1:1:grace@example.com", "2:2:grace@example.com", "3:3:grace@example.com"]);
    });

    it("throws typed errors the page can test with instanceof", async () => {
      const { page, url } = await open();
      const result = await page.evaluate(async ({ url, protocol, token }) => {
        const lib = window.userctl;
        const client = createClientWith(token);
        function createClientWith(auth: string) {
          return lib.userClientFor({ baseUrl: url, protocol, auth, retry: false });
        }
        const missing = await client.getUser("no-such-user").catch((e: unknown) => e);
        const invalid = await client.createUser({ name: "", email: "not-an-email" }).catch((e: unknown) => e);
        const unauthenticated = await createClientWith("wrong-token")
          .getUser("x")
          .catch((e: unknown) => e);
        return {
          notFound: missing instanceof lib.NotFoundError && missing instanceof lib.ConnectError,
          notFoundCode: missing instanceof lib.ConnectError ? missing.code : -1,
          notFoundMessage: missing instanceof lib.ConnectError ? missing.rawMessage : String(missing),
          invalid: invalid instanceof lib.InvalidArgumentError,
          violations:
            invalid instanceof lib.ConnectError
              ? lib
                  .readFieldViolations(invalid)
                  .map((v) => v.field)
                  .sort()
              : [],
          unauthenticated: unauthenticated instanceof lib.UnauthenticatedError,
        };
      }, args(url));
      expect(result).toEqual({
        notFound: true,
        notFoundCode: Code.NotFound,
        notFoundMessage: expect.stringContaining("no-such-user"),
        invalid: true,
        violations: ["email", "name"],
        unauthenticated: true,
      });
    });

    it("retries a read that fails twice with UNAVAILABLE and returns the third answer", async () => {
      const { page, url, log } = await open([fault.fail("GetUser", { code: Code.Unavailable, times: 2 })]);
      const result = await page.evaluate(async ({ url, protocol, token }) => {
        const { userClientFor } = window.userctl;
        const client = userClientFor({
          baseUrl: url,
          protocol,
          auth: token,
          retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20 },
        });
        const user = await client.createUser({ name: "Retry", email: "retry@example.com" });
        return (await client.getUser(user.id)).email;
      }, args(url));
      expect(result).toBe("retry@example.com");
      expect(log.attemptsOf("GetUser")).toHaveLength(3);
    });

    it("ends a call the server stalls with DeadlineExceededError at the deadline", async () => {
      const { page, url } = await open([fault.stall("GetUser", { ms: 10_000 })]);
      const result = await page.evaluate(async ({ url, protocol, token }) => {
        const lib = window.userctl;
        const client = lib.userClientFor({ baseUrl: url, protocol, auth: token });
        const started = performance.now();
        const error = await client.getUser("u", { timeoutMs: 300 }).catch((e: unknown) => e);
        return { deadline: error instanceof lib.DeadlineExceededError, elapsedMs: performance.now() - started };
      }, args(url));
      expect(result.deadline).toBe(true);
      expect(result.elapsedMs).toBeGreaterThanOrEqual(295);
      expect(result.elapsedMs).toBeLessThan(2_000);
    });

    it("cancels a call when the page aborts it, and the server sees the cancellation", async () => {
      const { page, url, log, server } = await open([fault.stall("GetUser", { ms: 10_000 })]);
      // The page starts the call and aborts it once the server has it: a fixed
      // delay raced a slow first request on a loaded machine.
      const pending = page.evaluate(async ({ url, protocol, token }) => {
        const lib = window.userctl;
        const client = lib.userClientFor({ baseUrl: url, protocol, auth: token });
        const abort = new AbortController();
        (window as unknown as { abortCall: () => number }).abortCall = () => {
          abort.abort();
          return performance.now();
        };
        const error = await client.getUser("u", { signal: abort.signal }).catch((e: unknown) => e);
        return { canceled: error instanceof lib.CanceledError, endedAt: performance.now() };
      }, args(url));
      await eventually(() => log.attemptsOf("GetUser").length === 1, "the server to receive the call");
      const abortedAt = await page.evaluate(() => (window as unknown as { abortCall: () => number }).abortCall());
      const ended = await pending;
      const result = { canceled: ended.canceled, elapsedMs: ended.endedAt - abortedAt };
      expect(result.canceled).toBe(true);
      expect(result.elapsedMs).toBeLessThan(2_000);
      expect(log.attemptsOf("GetUser")).toHaveLength(1);
      // The stall lasts 10 s: the call ends early only if the abort reached the server.
      await eventually(() => server.activeCalls().unary === 0, "the server to see the cancellation");
    });

    it("reports a server that is gone as UnavailableError after retrying, not as an unknown fetch failure", async () => {
      const { page, url, server } = await open();
      await server.close();
      const result = await page.evaluate(async ({ url, protocol, token }) => {
        const lib = window.userctl;
        let retries = 0;
        const client = lib.userClientFor({
          baseUrl: url,
          protocol,
          auth: token,
          retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20, onRetry: () => void retries++ },
        });
        const error = await client.getUser("u").catch((e: unknown) => e);
        return {
          unavailable: error instanceof lib.UnavailableError,
          message: error instanceof lib.ConnectError ? error.rawMessage : String(error),
          retries,
        };
      }, args(url));
      expect(result).toEqual({
        unavailable: true,
        message: expect.stringMatching(/^network error calling .*GetUser: .*the server is unreachable/),
        retries: 2,
      });
    });

    it("refuses a client-streaming call at once with UnimplementedError saying why", async () => {
      const { page, url, log } = await open();
      const result = await page.evaluate(async ({ url, protocol, token }) => {
        const lib = window.userctl;
        const client = lib.userClientFor({ baseUrl: url, protocol, auth: token });
        const error = await client.bulkCreateUsers([{ name: "B", email: "b@example.com" }]).catch((e: unknown) => e);
        return {
          unimplemented: error instanceof lib.UnimplementedError,
          message: error instanceof lib.ConnectError ? error.rawMessage : String(error),
        };
      }, args(url));
      expect(result.unimplemented).toBe(true);
      expect(result.message).toMatch(/BulkCreateUsers is client-streaming: browsers cannot stream request bodies/);
      expect(log.attemptsOf("BulkCreateUsers")).toHaveLength(0);
    });
  });
}
