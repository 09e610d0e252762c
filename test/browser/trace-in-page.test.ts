import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Code } from "@connectrpc/connect";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createServerTelemetryInterceptor } from "../../src/telemetry/index.js";
import { createTraceRecorder, type RecordedSpan, type TraceRecorder } from "../../src/telemetry/trace-recorder.js";
import { bundlePageLibrary, describeInBrowser, openPageOn, testPageHtml, useBrowser } from "../helpers/browser.js";
import { type Fault, fault, useFaultyServers } from "../helpers/fault-interceptor.js";
import { eventually, TEST_TOKEN } from "../helpers/test-server.js";

// One trace from a page inside Chromium to the reference server: the page's
// telemetry interceptor sends the attempt span's context in `traceparent`
// over fetch, and the server's telemetry interceptor (with its own recorder,
// as another process would have) continues it.

type WebProtocol = "grpc-web" | "connect";

const rpcSystems = { "grpc-web": "grpc", connect: "connect_rpc" } as const;
const getUser = "user.v1.UserService/GetUser";
const createUser = "user.v1.UserService/CreateUser";

interface PageCall {
  url: string;
  protocol: WebProtocol;
  token: string;
  /** Whether the transport retries, i.e. whether each attempt gets a span. */
  retry: boolean;
}

/**
 * In the page: a traced client creates a user and reads it back; returns the
 * page's spans and the email the read returned.
 */
async function createAndGetInPage(page: Page, call: PageCall): Promise<{ email: string; spans: RecordedSpan[] }> {
  return await page.evaluate(async ({ url, protocol, token, retry }) => {
    const lib = window.userctl;
    const tracing = lib.createPageTracing();
    const client = lib.userClientFor({
      baseUrl: url,
      protocol,
      auth: token,
      telemetry: tracing.telemetry,
      retry: retry && { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20 },
    });
    const created = await client.createUser({ name: "Traced", email: "traced@example.com" });
    const fetched = await client.getUser(created.id);
    return { email: fetched.email, spans: tracing.spans() };
  }, call);
}

/** Starts a reference server that records its spans, with `faults` injected right around the handlers. */
function useTracedServers() {
  const startServer = useFaultyServers();
  return async (faults: Fault[] = [], options: { allowedOrigins?: readonly string[] } = {}) => {
    const recorder = createTraceRecorder();
    const { s, faults: log } = await startServer(faults, {
      ...options,
      telemetry: createServerTelemetryInterceptor({ tracerProvider: recorder.tracerProvider }),
    });
    return { url: s.url, port: Number(new URL(s.url).port), serverSpans: recorder, log };
  };
}

const named = (spans: readonly RecordedSpan[], name: string) => spans.filter((span) => span.name === name);

/** The server spans of `name`, once `count` of them have ended. */
async function serverSpansOf(recorder: TraceRecorder, name: string, count: number): Promise<RecordedSpan[]> {
  await eventually(() => named(recorder.spans(), name).length >= count, `${count} server spans of ${name}`);
  return named(recorder.spans(), name);
}

/** The `traceparent` an attempt (or, without retries, a call) span sends: sampled, version 00. */
const traceparentOf = (span: RecordedSpan | undefined) => `00-${span?.traceId}-${span?.spanId}-01`;

for (const protocol of ["grpc-web", "connect"] as const) {
  const system = rpcSystems[protocol];
  const ok = system === "grpc" ? { "rpc.grpc.status_code": 0 } : {};

  describeInBrowser(`one trace from a page inside Chromium to the server over ${protocol}`, () => {
    const browser = useBrowser();
    const startServer = useTracedServers();
    let pageErrors: string[] = [];

    afterEach(() => {
      expect(pageErrors, "uncaught errors in the page").toEqual([]);
    });

    async function open(faults: Fault[] = []) {
      const server = await startServer(faults);
      const { page, errors } = await openPageOn(browser(), server.url);
      pageErrors = errors;
      return { page, ...server };
    }

    it("continues the page's trace on the server: each server span is the child of the page's attempt span", async () => {
      const { page, url, port, serverSpans, log } = await open();
      const { email, spans } = await createAndGetInPage(page, { url, protocol, token: TEST_TOKEN, retry: true });
      expect(email).toBe("traced@example.com");

      for (const method of [createUser, getUser]) {
        const [call, ...moreCalls] = named(spans, method);
        const [attempt, ...moreAttempts] = named(spans, `${method} attempt`);
        const [server, ...moreServers] = await serverSpansOf(serverSpans, method, 1);
        expect([moreCalls, moreAttempts, moreServers], `one span of each kind for ${method}`).toEqual([[], [], []]);

        expect(call).toMatchObject({ kind: SpanKind.CLIENT, parentSpanId: undefined, status: { code: SpanStatusCode.UNSET } });
        expect(call?.attributes).toMatchObject({
          "rpc.system": system,
          "rpc.service": "user.v1.UserService",
          "rpc.method": method.split("/")[1],
          "server.address": "127.0.0.1",
          "server.port": port,
          ...ok,
        });
        expect(attempt).toMatchObject({ kind: SpanKind.INTERNAL, traceId: call?.traceId, parentSpanId: call?.spanId });
        expect(attempt?.attributes).toMatchObject({ "rpc.attempt.number": 1, ...ok });

        expect(server?.kind).toBe(SpanKind.SERVER);
        expect(server?.traceId).toBe(call?.traceId);
        expect(server?.parentSpanId).toBe(attempt?.spanId);
        expect(server?.parentIsRemote).toBe(true);
        expect(server?.attributes).toMatchObject({
          "rpc.system": system,
          "rpc.service": "user.v1.UserService",
          "rpc.method": method.split("/")[1],
          "rpc.messages_received": 1,
          "rpc.messages_sent": 1,
          ...ok,
        });
      }
      // What went over the wire: the attempt span's context, exactly.
      const [getAttempt] = named(spans, `${getUser} attempt`);
      expect(log.attemptsOf("GetUser")[0]?.header.get("traceparent")).toBe(traceparentOf(getAttempt));
      // Two calls from a page with no active span: two traces.
      expect(named(spans, createUser)[0]?.traceId).not.toBe(named(spans, getUser)[0]?.traceId);
    });

    it("makes the server span the child of the page's call span when the transport does not retry", async () => {
      const { page, url, serverSpans, log } = await open();
      const { spans } = await createAndGetInPage(page, { url, protocol, token: TEST_TOKEN, retry: false });
      expect(spans.filter((span) => span.name.endsWith(" attempt"))).toEqual([]);
      const [call] = named(spans, getUser);
      const [server] = await serverSpansOf(serverSpans, getUser, 1);
      expect(call?.kind).toBe(SpanKind.CLIENT);
      expect(server).toMatchObject({ kind: SpanKind.SERVER, traceId: call?.traceId, parentSpanId: call?.spanId });
      expect(log.attemptsOf("GetUser")[0]?.header.get("traceparent")).toBe(traceparentOf(call));
    });

    it("shows a call retried after UNAVAILABLE as two attempt spans in the page, each the parent of its own server span", async () => {
      const { page, url, serverSpans, log } = await open([fault.fail("GetUser", { code: Code.Unavailable, times: 1 })]);
      const { email, spans } = await createAndGetInPage(page, { url, protocol, token: TEST_TOKEN, retry: true });
      expect(email).toBe("traced@example.com");
      expect(log.attemptsOf("GetUser")).toHaveLength(2);

      const [call, ...moreCalls] = named(spans, getUser);
      expect(moreCalls).toEqual([]);
      expect(call).toMatchObject({ kind: SpanKind.CLIENT, status: { code: SpanStatusCode.UNSET } });
      const attempts = named(spans, `${getUser} attempt`);
      expect(attempts.map((a) => [a.attributes["rpc.attempt.number"], a.parentSpanId, a.traceId])).toEqual([
        [1, call?.spanId, call?.traceId],
        [2, call?.spanId, call?.traceId],
      ]);
      expect(attempts.map((a) => a.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.UNSET]);

      const servers = await serverSpansOf(serverSpans, getUser, 2);
      expect(servers).toHaveLength(2);
      expect(servers.map((s) => s.traceId)).toEqual([call?.traceId, call?.traceId]);
      expect(servers.map((s) => s.parentSpanId)).toEqual(attempts.map((a) => a.spanId));
      expect(servers.map((s) => s.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
      const failed = system === "grpc" ? { "rpc.grpc.status_code": Code.Unavailable } : { "rpc.connect_rpc.error_code": "unavailable" };
      expect(servers[0]?.attributes).toMatchObject(failed);
      expect(attempts[0]?.attributes).toMatchObject(failed);
      expect(log.attemptsOf("GetUser").map((a) => a.header.get("traceparent"))).toEqual(attempts.map(traceparentOf));
    });
  });
}

describeInBrowser("one trace from a page on another origin to the server", () => {
  const browser = useBrowser();
  const startServer = useTracedServers();
  let pages: Server;
  let pageOrigin = "";

  beforeAll(async () => {
    const library = await bundlePageLibrary();
    pages = createServer((req, res) => {
      const isLibrary = req.url === "/__test__/page-library.js";
      res.setHeader("content-type", isLibrary ? "text/javascript" : "text/html");
      res.end(isLibrary ? library : testPageHtml);
    });
    await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
    pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    pages.closeAllConnections();
    await new Promise((resolve) => pages.close(resolve));
  });

  for (const protocol of ["grpc-web", "connect"] as const) {
    it(`sends traceparent through the CORS preflight over ${protocol}, and the server continues the trace`, async () => {
      const { url, serverSpans, log } = await startServer();
      expect(new URL(url).port).not.toBe(new URL(pageOrigin).port);
      const page = await browser().newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${pageOrigin}/index.html`);
      const { email, spans } = await createAndGetInPage(page, { url, protocol, token: TEST_TOKEN, retry: true });
      await page.close();
      expect(errors).toEqual([]);
      expect(email).toBe("traced@example.com");

      const [call] = named(spans, getUser);
      const [attempt] = named(spans, `${getUser} attempt`);
      const [server] = await serverSpansOf(serverSpans, getUser, 1);
      expect(server).toMatchObject({
        kind: SpanKind.SERVER,
        traceId: call?.traceId,
        parentSpanId: attempt?.spanId,
        parentIsRemote: true,
        attributes: expect.objectContaining({ "rpc.system": rpcSystems[protocol] }),
      });
      expect(log.attemptsOf("GetUser")[0]?.header.get("traceparent")).toBe(traceparentOf(attempt));
    });
  }
});
