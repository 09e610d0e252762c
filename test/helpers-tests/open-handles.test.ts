import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { countOpenHandles, expectNoLeakedHandles, type OpenHandles, waitForNoLeakedHandles } from "../helpers/open-handles.js";

function handles(byType: Record<string, number>): OpenHandles {
  const total = Object.values(byType).reduce((a, b) => a + b, 0);
  return { sockets: 0, listeners: 0, timers: 0, total, byType };
}

describe("countOpenHandles", () => {
  it("counts a listener, a connected socket pair and a timer, then returns to the baseline", async () => {
    const before = countOpenHandles();
    const server = net.createServer((socket) => socket.on("error", () => {}));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => client.once("connect", resolve));
    // The connect request itself is still listed (ConnectWrap) during the 'connect' event.
    await new Promise((resolve) => setImmediate(resolve));
    const timer = setTimeout(() => {}, 60_000);

    const during = countOpenHandles();
    expect(during.listeners - before.listeners).toBe(1);
    // Both ends of the connection live in this process.
    expect(during.sockets - before.sockets).toBe(2);
    expect(during.timers - before.timers).toBe(1);
    expect(during.total - before.total).toBe(4);
    expect(() => expectNoLeakedHandles(before, during)).toThrow(/TCPServerWrap: \d+ -> \d+ \(\+1\)/);

    clearTimeout(timer);
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await waitForNoLeakedHandles(before);
  });

  it("does not count unref'd timers, which do not keep the loop alive", () => {
    const before = countOpenHandles();
    const timer = setTimeout(() => {}, 60_000).unref();
    expect(countOpenHandles().timers).toBe(before.timers);
    clearTimeout(timer);
  });
});

describe("expectNoLeakedHandles", () => {
  it("passes when nothing grew, even if some types shrank", () => {
    expect(() => expectNoLeakedHandles(handles({ Timeout: 2 }), handles({ Timeout: 1 }))).not.toThrow();
  });

  it("lists every type that grew in its message", () => {
    const before = handles({ TCPSocketWrap: 1, Timeout: 3 });
    const after = handles({ TCPSocketWrap: 3, Timeout: 3, TCPServerWrap: 1 });
    expect(() => expectNoLeakedHandles(before, after)).toThrow(
      "leaked 3 handle(s) (slack 0):\n  TCPServerWrap: 0 -> 1 (+1)\n  TCPSocketWrap: 1 -> 3 (+2)",
    );
  });

  it("tolerates growth up to the slack", () => {
    const before = handles({});
    const after = handles({ Timeout: 2 });
    expect(() => expectNoLeakedHandles(before, after, 2)).not.toThrow();
    expect(() => expectNoLeakedHandles(before, after, 1)).toThrow(/leaked 2 handle/);
  });

  it("rejects a negative slack", () => {
    expect(() => expectNoLeakedHandles(handles({}), handles({}), -1)).toThrow(/slack must be/);
  });
});

describe("waitForNoLeakedHandles", () => {
  it("fails with the list of leaked handles once its timeout passes", async () => {
    // Handles left by an earlier file in this worker may still be closing:
    // measure once the count has held still for 100 ms (bounded), so that the
    // one timer below is the only change.
    let before = countOpenHandles();
    for (let i = 0; i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = countOpenHandles();
      if (now.total === before.total && now.timers === before.timers) break;
      before = now;
    }
    const timer = setTimeout(() => {}, 60_000);
    try {
      await expect(waitForNoLeakedHandles(before, { timeoutMs: 50 })).rejects.toThrow(/Timeout: \d+ -> \d+ \(\+1\)/);
    } finally {
      clearTimeout(timer);
    }
  });
});
