import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import { createTransport, type NodeTransport } from "../../../src/node/create-transport.js";
import { runLoad } from "../../helpers/connection-load.js";
import { type GoawayServer, startGoawayServer } from "../../helpers/goaway-server.js";
import { countOpenHandles, waitForNoLeakedHandles } from "../../helpers/open-handles.js";

// Issue 12, item 5: a stream refused with REFUSED_STREAM or above a GOAWAY's
// last-stream-id never reached the server application, so gRFC A6 retries it
// transparently on another connection, for any method and whatever the retry
// policy says (retry: false too), without spending maxAttempts; and bounded,
// so a server that refuses everything cannot make a call loop.
//
// The server here churns its connections the way a busy server behind a
// MaxConnectionAge does, only faster: every EVERY_STREAMS streams it serves,
// the connection of the last one gets a graceful GOAWAY naming that stream,
// and the streams that raced with it there (read, not yet served) are reset
// with REFUSED_STREAM. Health/Check is not idempotent by its schema, so only
// transparent retries can save those calls. A6 retries a stream the server
// refused only once; EVERY_STREAMS above the callers in flight makes sure the
// retry is never refused again (see startGoawayServer's "racing" mode), so a
// failed call here is a transport's fault, not bad luck.

const CALLERS = 50;
const CALLS_PER_CALLER = 40;
const CALLS = CALLERS * CALLS_PER_CALLER;
/** A GOAWAY every this many streams served; more than CALLERS (see above). */
const EVERY_STREAMS = 64;
/**
 * How much churn a run must see to mean anything. A run that loses nothing
 * sends a GOAWAY every EVERY_STREAMS of its CALLS streams: 31.
 */
const MIN_GOAWAYS = Math.floor(CALLS / EVERY_STREAMS);
/** At least one racing stream per GOAWAY, on average: refusals are what the test is about. */
const MIN_REFUSED = MIN_GOAWAYS;
/** The connect-node transport needed 7 to 14 s for the run (it reconnects slowly); vitest's 20 s is too tight a bound. */
const CHURN_TIMEOUT_MS = 60_000;

describe("the gRPC transport under GOAWAY churn", () => {
  let server: GoawayServer | undefined;
  let transport: NodeTransport | undefined;

  afterEach(async () => {
    await transport?.close({ graceMs: 0 });
    await server?.close();
    transport = undefined;
    server = undefined;
  });

  for (const [policy, retry] of [
    ["retry: false", false],
    ["retries on", undefined],
  ] as const) {
    it(
      `loses none of ${CALLS} calls from ${CALLERS} callers while the server sends GOAWAY every ${EVERY_STREAMS} streams and refuses the racing streams, with ${policy}`,
      async () => {
        server = await startGoawayServer({ mode: "racing", everyStreams: EVERY_STREAMS });
        const baseline = countOpenHandles();
        transport = createTransport({ baseUrl: server.url, ...(retry === false && { retry }) });
        const health = createClient(Health, transport);
        const check = async () => {
          const res = await health.check({ service: "" });
          if (res.status !== HealthCheckResponse_ServingStatus.SERVING) throw new Error(`health status ${res.status}, want SERVING`);
        };

        const run = await runLoad({ calls: CALLS, concurrency: CALLERS, call: check });
        const goaways = server.goawaysSent();
        const refused = server.streamsRefused();
        const served = server.streamsServed();
        const sessions = server.sessionsOpened();
        await transport.close();
        await waitForNoLeakedHandles(baseline);
        console.log(
          `goaway churn, ${policy}: ${run.failed} of ${CALLS} calls failed in ${run.ms} ms; ` +
            `${goaways} GOAWAYs, ${refused} streams refused, ${served} served, ${sessions} sessions` +
            (run.errors.length > 0 ? `; first errors: ${run.errors.join(" | ")}` : ""),
        );

        expect(run.failed, run.errors.join("\n")).toBe(0);
        expect(run.ok).toBe(CALLS);
        // The churn really happened, or passing proves nothing.
        expect(goaways).toBeGreaterThanOrEqual(MIN_GOAWAYS);
        expect(refused).toBeGreaterThanOrEqual(MIN_REFUSED);
        // A refused stream never reaches the handler: each call was served exactly once.
        expect(served).toBe(CALLS);
      },
      CHURN_TIMEOUT_MS,
    );
  }

  for (const [policy, retry] of [
    ["retry: false", false],
    ["retries on", undefined],
  ] as const) {
    it(`fails a call with UNAVAILABLE in bounded time when the server refuses every stream, with ${policy}`, async () => {
      server = await startGoawayServer({ mode: "refuse-all" });
      transport = createTransport({ baseUrl: server.url, ...(retry === false && { retry }) });
      const health = createClient(Health, transport);
      const begin = performance.now();
      // No timeoutMs: the bound must come from the transport's own limit on transparent retries.
      const error = await health.check({ service: "" }).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      const ms = Math.round(performance.now() - begin);
      const refused = server.streamsRefused();
      console.log(
        `refuse-all, ${policy}: ${error ? `${Code[error.code]} "${error.message}"` : "no error"} after ${ms} ms and ${refused} refused streams`,
      );

      expect(error, "the call succeeded against a server that serves nothing").toBeDefined();
      expect(Code[error!.code]).toBe("Unavailable");
      expect(ms).toBeLessThan(5_000);
      // At least one attempt reached the server; a handful of transparent retries at most.
      expect(refused).toBeGreaterThanOrEqual(1);
      expect(refused).toBeLessThanOrEqual(20);
      expect(server.streamsServed()).toBe(0);
    });
  }
});
