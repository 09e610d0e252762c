import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, startServer, TEST_TOKEN } from "../helpers/test-server.js";

function demoDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "demo-"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>demo</title>");
  writeFileSync(join(dir, "main.js"), "console.log('demo')");
  writeFileSync(join(dir, "notes.txt"), "not served: unknown type");
  return dir;
}

describe("the demo web app on the server's port", () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.server.close();
    running = undefined;
  });

  it("serves index.html at / and its assets with their types and a same-origin-only CSP", async () => {
    running = await startServer(undefined, { demo: demoDir() });
    const page = await fetch(`${running.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(await page.text()).toBe("<!doctype html><title>demo</title>");
    const script = await fetch(`${running.url}/main.js?v=1`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await script.text()).toBe("console.log('demo')");
  });

  it("answers HEAD without a body, and leaves unknown paths and file types to the RPC handler (404)", async () => {
    running = await startServer(undefined, { demo: demoDir() });
    const head = await fetch(`${running.url}/index.html`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("34");
    expect((await fetch(`${running.url}/notes.txt`)).status).toBe(404);
    expect((await fetch(`${running.url}/../package.json`)).status).toBe(404);
  });

  it("still answers Connect GET calls, which share the GET method", async () => {
    running = await startServer(undefined, { demo: demoDir() });
    const message = encodeURIComponent(JSON.stringify({ userId: "nobody" }));
    const response = await fetch(`${running.url}/user.v1.UserService/GetUser?connect=v1&encoding=json&message=${message}`, {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "not_found" });
  });

  it("explains how to build the page when it is not built", async () => {
    running = await startServer(undefined, { demo: join(tmpdir(), "no-such-demo-dir") });
    const response = await fetch(`${running.url}/`);
    expect(response.status).toBe(404);
    expect(await response.text()).toMatch(/^the demo page is not built \(looked in .*no-such-demo-dir\): run npm run build\n$/);
  });

  it("serves nothing at / when the demo is turned off", async () => {
    running = await startServer(undefined, { demo: false });
    const response = await fetch(`${running.url}/`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("demo");
  });
});
