import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bundlePageLibrary, describeInBrowser, testPageHtml, useBrowser } from "../helpers/browser.js";
import { useFaultyServers } from "../helpers/fault-interceptor.js";
import { TEST_TOKEN } from "../helpers/test-server.js";

// A page served from one port calling the reference server on another: a
// different origin, so every call with an Authorization header needs a
// CORS preflight, and the page sees only the response headers the server exposes.

describeInBrowser("a page from another origin calling the server", () => {
  const browser = useBrowser();
  const startServer = useFaultyServers();
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

  async function callFromPage(serverUrl: string, protocol: "grpc-web" | "connect") {
    const page = await browser().newPage();
    await page.goto(`${pageOrigin}/index.html`);
    const result = await page.evaluate(
      async ({ url, protocol, token }) => {
        const lib = window.userctl;
        const client = lib.userClientFor({ baseUrl: url, protocol, auth: token, retry: false });
        const describe = (e: unknown) =>
          e instanceof lib.ConnectError
            ? { name: e.constructor.name, code: lib.Code[e.code], fields: lib.readFieldViolations(e).map((v) => v.field) }
            : { name: "not a ConnectError", code: String(e), fields: [] };
        try {
          const user = await client.createUser({ name: "Cross", email: "cross@example.com" });
          const fetched = await client.getUser(user.id);
          const missing = await client.getUser("nobody").catch(describe);
          const invalid = await client.createUser({ name: "Bad", email: "bad" }).catch(describe);
          return { ok: fetched.email, missing, invalid };
        } catch (e) {
          return { failed: describe(e) };
        }
      },
      { url: serverUrl, protocol, token: TEST_TOKEN },
    );
    await page.close();
    return result;
  }

  for (const protocol of ["grpc-web", "connect"] as const) {
    it(`works over ${protocol} with the default policy, which allows loopback origins, errors and details included`, async () => {
      const { s } = await startServer();
      expect(new URL(s.url).port).not.toBe(new URL(pageOrigin).port);
      expect(await callFromPage(s.url, protocol)).toEqual({
        ok: "cross@example.com",
        missing: { name: "NotFoundError", code: "NotFound", fields: [] },
        invalid: { name: "InvalidArgumentError", code: "InvalidArgument", fields: ["email"] },
      });
    });

    it(`is refused over ${protocol} when the page's origin is not allowed, before any call reaches a handler`, async () => {
      const { s, faults } = await startServer([], { allowedOrigins: ["https://app.example.com"] });
      const result = await callFromPage(s.url, protocol);
      expect(result).toEqual({ failed: { name: "UnavailableError", code: "Unavailable", fields: [] } });
      expect(faults.attempts).toHaveLength(0);
    });
  }
});
