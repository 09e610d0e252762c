import * as http2 from "node:http2";
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { countOpenHandles, waitForNoLeakedHandles } from "../helpers/open-handles.js";
import { startSilentListener } from "../helpers/silent-listener.js";
import { eventually } from "../helpers/test-server.js";

describe("startSilentListener", () => {
  it("accepts an HTTP/2 connection but never sends SETTINGS", async () => {
    const before = countOpenHandles();
    const listener = await startSilentListener();
    expect(listener.url).toBe(`http://127.0.0.1:${listener.port}`);
    const session = http2.connect(listener.url);
    session.on("error", () => {});
    let settings = false;
    session.on("remoteSettings", () => (settings = true));

    await eventually(() => listener.connections() === 1, "the connection to be accepted");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settings).toBe(false);

    session.destroy();
    await listener.close();
    await waitForNoLeakedHandles(before);
  });

  it("counts every connection it accepted", async () => {
    const listener = await startSilentListener();
    const sockets = [net.connect(listener.port, "127.0.0.1"), net.connect(listener.port, "127.0.0.1")];
    await eventually(() => listener.connections() === 2, "two connections to be accepted");
    for (const socket of sockets) socket.destroy();
    await listener.close();
    expect(listener.connections()).toBe(2);
  });

  it("destroys accepted sockets on close, so clients see the connection end", async () => {
    const before = countOpenHandles();
    const listener = await startSilentListener();
    const socket = net.connect(listener.port, "127.0.0.1");
    socket.on("error", () => {});
    const closed = new Promise((resolve) => socket.once("close", resolve));
    await eventually(() => listener.connections() === 1, "the connection to be accepted");

    await listener.close();
    await closed;
    await waitForNoLeakedHandles(before);
  });

  it("binds IPv6 loopback and brackets it in the url", async (ctx) => {
    const listener = await startSilentListener({ host: "::1" }).catch(() => undefined);
    if (!listener) return ctx.skip();
    expect(listener.url).toBe(`http://[::1]:${listener.port}`);
    await listener.close();
  });
});
