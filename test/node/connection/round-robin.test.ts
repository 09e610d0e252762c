import { createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { UserService } from "../../../gen/user/v1/user_service_pb.js";
import { createTransport, type NodeTransport } from "../../../src/node/create-transport.js";
import { runLoad } from "../../helpers/connection-load.js";
import { useCountingServers } from "../../helpers/connection-servers.js";
import { countOpenHandles, waitForNoLeakedHandles } from "../../helpers/open-handles.js";
import { eventually, TEST_TOKEN } from "../../helpers/test-server.js";

const servers = useCountingServers();

describe("round robin over a list of endpoints", () => {
  let transport: NodeTransport | undefined;

  afterEach(async () => {
    await transport?.close({ graceMs: 0 });
    transport = undefined;
  });

  it("spreads 3,000 calls evenly over three servers and loses none when one stops midway", async () => {
    const [a, b, c] = await Promise.all(["127.0.0.1", "127.0.0.2", "127.0.0.3"].map((host) => servers.reference(host)));
    const all = [a!, b!, c!];
    const baseline = countOpenHandles();
    const retries: string[] = [];
    transport = createTransport({
      baseUrl: all.map((s) => s.url),
      auth: TEST_TOKEN,
      retry: { onRetry: (e) => retries.push(`${e.transparent ? "transparent" : "policy"} after "${e.error.rawMessage}"`) },
    });
    const users = createClient(UserService, transport);

    const calls = 3000;
    let beforeStop: number[] = [];
    let stopping: Promise<void> | undefined;
    let stoppedAt = 0;
    let stopMs = 0;
    const run = await runLoad({
      calls,
      concurrency: 30,
      call: () => users.listUsers({}),
      midway: {
        atCall: calls / 2,
        run() {
          beforeStop = all.map((s) => s.calls());
          stoppedAt = performance.now();
          stopping = b!.server!.close({ graceMs: 1000 }).then(() => {
            stopMs = Math.round(performance.now() - stoppedAt);
          });
        },
      },
    });
    await stopping;
    const total = all.map((s) => s.calls());
    const afterStop = total.map((n, i) => n - beforeStop[i]!);
    // The stopped endpoint first drains (GOAWAY), then fails to reconnect: it must not read as ready.
    await eventually(
      () => transport!.endpoints().find((e) => e.origin === b!.url)?.state !== "ready",
      "the stopped endpoint to leave ready",
    );
    const endpoints = transport.endpoints();
    await transport.close();
    await waitForNoLeakedHandles(baseline);

    const mean = beforeStop.reduce((x, y) => x + y, 0) / beforeStop.length;
    const spread = beforeStop.map((n) => `${(((n - mean) / mean) * 100).toFixed(1)}%`);
    console.log(
      `round robin: ${calls} ListUsers by 30 callers in ${run.ms} ms, ${run.failed} failed, ${retries.length} retries (${[...new Set(retries)].map((r) => `${retries.filter((x) => x === r).length}× ${r}`).join("; ")}); ` +
        `per server before the stop ${beforeStop.join("/")} (${spread.join(", ")} from the mean), ` +
        `after ${afterStop.join("/")}; server.close() took ${stopMs} ms; endpoints afterwards: ` +
        endpoints.map((e) => `${e.origin} ${e.state}${e.lastError ? ` (${e.lastError})` : ""}`).join(", "),
    );

    expect(run.failed, run.errors.join("\n")).toBe(0);
    expect(total.reduce((x, y) => x + y, 0)).toBe(calls);
    for (const n of beforeStop) {
      expect(n).toBeGreaterThanOrEqual(mean * 0.8);
      expect(n).toBeLessThanOrEqual(mean * 1.2);
    }
    // Only calls already on their way when the stop began may still reach the stopped server.
    expect(afterStop[1]).toBeLessThanOrEqual(30);
    expect(afterStop[0]! + afterStop[2]!).toBeGreaterThanOrEqual(calls / 2 - 30);
    expect(endpoints.find((e) => e.origin === b!.url)?.state).not.toBe("ready");
    expect(endpoints.filter((e) => e.state === "ready").map((e) => e.origin)).toEqual([a!.url, c!.url]);
  });
});
