import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseHeldStreams } from "../../../bench/scenarios/release-held-streams.js";
import { type BenchServer, startBenchServer } from "../../../bench/server/bench-server.js";
import { type BenchClient, STACK_NAMES } from "../../../bench/stacks/bench-client.js";
import { loadStack } from "../../../bench/stacks/load-stack.js";
import { countOpenHandles, expectNoLeakedHandles } from "../../helpers/open-handles.js";

let server: BenchServer;
const before = countOpenHandles();
beforeAll(async () => {
  server = await startBenchServer();
});
afterAll(async () => {
  await server.close();
  // Sockets close, and clients' timers clear, asynchronously.
  for (let i = 0; i < 50 && countOpenHandles().total > before.total; i++) await new Promise((r) => setTimeout(r, 20));
  expectNoLeakedHandles(before, countOpenHandles());
});

describe.each(STACK_NAMES)("the bench server, called by %s over loopback HTTP/2,", (stack) => {
  let client: BenchClient;
  beforeAll(async () => {
    client = await (await loadStack(stack))(server.url);
  });
  afterAll(() => client.close());

  it("answers GetUser at every size", async () => {
    for (const size of ["small", "1k", "64k"] as const) await client.unary(size);
  });

  it("streams the events asked for, counts a client stream and answers each bidi request", async () => {
    await client.serverStream(25);
    await client.clientStream(25);
    await client.bidiPingPong(5);
  });

  it("holds WatchUsers streams open until released, then ends them normally", async () => {
    const held = await Promise.all([client.openHeldStream(), client.openHeldStream(), client.openHeldStream()]);
    let ended = 0;
    const endings = held.map((h) => h.ended().then(() => ended++));
    await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBe(0);
    await releaseHeldStreams(server.url);
    await Promise.all(endings);
    expect(ended).toBe(3);
  });
});
