import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { UserService } from "../../../gen/user/v1/user_service_pb.js";
import { createTransport, type NodeTransport } from "../../../src/node/create-transport.js";
import { ServingStatus } from "../../../src/server/index.js";
import { runLoad } from "../../helpers/connection-load.js";
import { type CountingServer, useCountingServers } from "../../helpers/connection-servers.js";
import { countOpenHandles, waitForNoLeakedHandles } from "../../helpers/open-handles.js";
import { eventually, rejection, TEST_TOKEN } from "../../helpers/test-server.js";

const servers = useCountingServers();

/** The calls each server ran while `run` ran. */
async function callsDuring(all: CountingServer[], run: () => Promise<unknown>): Promise<number[]> {
  const before = all.map((s) => s.calls());
  await run();
  return all.map((s, i) => s.calls() - before[i]!);
}

describe("health-checked endpoints (gRFC A17)", () => {
  let transport: NodeTransport | undefined;

  afterEach(async () => {
    await transport?.close({ graceMs: 0 });
    transport = undefined;
  });

  it("sends no calls to an endpoint while it reports NOT_SERVING, and calls again once it is SERVING", async () => {
    const service = UserService.typeName;
    const [a, b, c] = await Promise.all(["127.0.0.1", "127.0.0.2", "127.0.0.3"].map((host) => servers.reference(host)));
    const all = [a!, b!, c!];
    const baseline = countOpenHandles();
    transport = createTransport({ baseUrl: all.map((s) => s.url), auth: TEST_TOKEN, healthCheck: { service } });
    const users = createClient(UserService, transport);
    const load = (calls: number) => runLoad({ calls, concurrency: 10, call: () => users.listUsers({}) });
    const servingOf = (s: CountingServer) => transport!.endpoints().find((e) => e.origin === s.url)?.serving;

    await transport.connect();
    await eventually(() => all.every((s) => servingOf(s) === true), "every endpoint to be SERVING");
    const healthy = await callsDuring(all, () => load(300));

    // Calls keep flowing while the status changes; only the ones after the settle window are judged.
    const marked = performance.now();
    const atMark = b!.calls();
    b!.server!.health.set(service, ServingStatus.NOT_SERVING);
    let seenNotServingMs = -1;
    let settleFailures = 0;
    const caller = async () => {
      while (performance.now() - marked < 1000) {
        if (seenNotServingMs < 0 && servingOf(b!) === false) seenNotServingMs = Math.round(performance.now() - marked);
        await users.listUsers({}).catch(() => settleFailures++);
      }
    };
    await Promise.all(Array.from({ length: 10 }, caller));
    const duringChange = b!.calls() - atMark;
    const notServing = await callsDuring(all, () => load(300));
    const notServingState = transport.endpoints().find((e) => e.origin === b!.url);

    const remarked = performance.now();
    b!.server!.health.set(service, ServingStatus.SERVING);
    await eventually(() => servingOf(b!) === true, "the endpoint to be SERVING again", 1000);
    const backMs = Math.round(performance.now() - remarked);
    const servingAgain = await callsDuring(all, () => load(300));
    await transport.close();
    await waitForNoLeakedHandles(baseline);

    console.log(
      `health-checked round robin (service ${service}): 300 calls per phase, per server ` +
        `${healthy.join("/")} all SERVING, ${notServing.join("/")} with the second NOT_SERVING (1 s after the change; ` +
        `the pool saw it after ${seenNotServingMs} ms and sent it ${duringChange} calls in that second; endpoint then ${notServingState?.state}, serving ${notServingState?.serving}), ` +
        `${servingAgain.join("/")} once SERVING again (seen after ${backMs} ms); failed calls during the change ${settleFailures}`,
    );
    for (const n of healthy) expect(n).toBeGreaterThanOrEqual(80);
    expect(notServing[1]).toBe(0);
    expect(notServing[0]! + notServing[2]!).toBe(300);
    expect(notServingState).toMatchObject({ state: "ready", serving: false });
    expect(servingAgain[1]).toBeGreaterThanOrEqual(80);
    expect(settleFailures).toBe(0);
  });

  it("counts an endpoint without the Health service as serving", async () => {
    const reference = await servers.reference("127.0.0.1");
    const plain = await servers.plain("127.0.0.2");
    const baseline = countOpenHandles();
    transport = createTransport({ baseUrl: [reference.url, plain.url], auth: TEST_TOKEN, healthCheck: { service: "" } });
    const users = createClient(UserService, transport);
    const begin = performance.now();
    await users.listUsers({});
    const firstCallMs = Math.round(performance.now() - begin);
    const run = await callsDuring([reference, plain], () => load());
    async function load() {
      const result = await runLoad({ calls: 200, concurrency: 10, call: () => users.listUsers({}) });
      expect(result.failed, result.errors.join("\n")).toBe(0);
    }
    const endpoints = transport.endpoints();
    await transport.close();
    await waitForNoLeakedHandles(baseline);
    console.log(
      `health check against a server without Health: first call after ${firstCallMs} ms; 200 calls split ` +
        `${run.join("/")} (reference/plain); endpoints ${endpoints.map((e) => `${e.origin} ${e.state} serving=${e.serving}`).join(", ")}`,
    );
    expect(endpoints.find((e) => e.origin === plain.url)).toMatchObject({ state: "ready", serving: true });
    expect(run[1]).toBeGreaterThanOrEqual(60);
  });

  it("fails a call at once with UNAVAILABLE when every endpoint reports NOT_SERVING", async () => {
    const all = await Promise.all(["127.0.0.1", "127.0.0.2"].map((host) => servers.reference(host)));
    for (const s of all) s.server!.health.set("", ServingStatus.NOT_SERVING);
    transport = createTransport({ baseUrl: all.map((s) => s.url), auth: TEST_TOKEN, healthCheck: { service: "" } });
    const users = createClient(UserService, transport);
    const begin = performance.now();
    const error = await rejection(users.listUsers({}));
    const ms = Math.round(performance.now() - begin);
    console.log(
      `every endpoint NOT_SERVING: the call failed after ${ms} ms (retries included) with ${Code[error.code]} "${error.message}"; transport ${transport.state()}`,
    );
    // As gRPC's round robin: no serving endpoint is a transient failure, not a
    // reason to hold the call until its deadline (5 s for a read).
    expect(Code[error.code]).toBe("Unavailable");
    expect(error.message).toContain("not SERVING");
    expect(ms).toBeLessThan(2000);
    expect(all.map((s) => s.calls())).toEqual([0, 0]);
  });

  it("reports the transport in transient_failure when every endpoint is NOT_SERVING", async () => {
    const all = await Promise.all(["127.0.0.1", "127.0.0.2"].map((host) => servers.reference(host)));
    for (const s of all) s.server!.health.set("", ServingStatus.NOT_SERVING);
    transport = createTransport({ baseUrl: all.map((s) => s.url), auth: TEST_TOKEN, healthCheck: { service: "" } });
    // `serving: false` also means "no answer yet"; a call fails only once both answers are in.
    await rejection(createClient(UserService, transport).listUsers({}));
    const endpoints = transport.endpoints();
    console.log(
      `every endpoint NOT_SERVING: transport ${transport.state()}, endpoints ${endpoints.map((e) => `${e.state} serving=${e.serving}`).join(", ")}`,
    );
    // Each endpoint keeps its connectivity and shows the health answer apart.
    expect(endpoints.map((e) => [e.state, e.serving])).toEqual([
      ["ready", false],
      ["ready", false],
    ]);
    // gRFC A17: a NOT_SERVING answer puts the subchannel in TRANSIENT_FAILURE;
    // "connecting" would tell a waitForReady-style caller that help is on its way.
    expect(transport.state()).toBe("transient_failure");
  });
});
