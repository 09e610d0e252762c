import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { GetUserResponseSchema, UserSchema, UserService } from "../../gen/user/v1/user_service_pb.js";
import { bundlePageLibrary, describeInBrowser, testPageHtml, useBrowser } from "../helpers/browser.js";

// A page on one origin calling an API on another that authenticates by
// cookie: fetch sends the cookie cross-origin only with credentials
// "include", and the API must answer CORS with allow-credentials and the
// page's exact origin (the Fetch standard's "CORS protocol and credentials").

const sessionCookie = "session=s-42";

describeInBrowser("a page calling a cookie-checking API on another origin", () => {
  const browser = useBrowser();
  let pages: Server;
  let api: Server;
  let pageOrigin = "";
  let apiUrl = "";
  const cookiesSeen: (string | undefined)[] = [];

  beforeAll(async () => {
    const library = await bundlePageLibrary();
    pages = createServer((req, res) => {
      const isLibrary = req.url === "/__test__/page-library.js";
      res.setHeader("content-type", isLibrary ? "text/javascript" : "text/html");
      res.end(isLibrary ? library : testPageHtml);
    });
    pageOrigin = await listen(pages);
    // GetUser answers only a request carrying the session cookie, and names the user after it.
    const routes = (router: ConnectRouter) =>
      router.service(UserService, {
        getUser(req, ctx) {
          const cookie = ctx.requestHeader.get("cookie") ?? undefined;
          cookiesSeen.push(cookie);
          if (cookie !== sessionCookie) throw new ConnectError("no session cookie", Code.Unauthenticated);
          return create(GetUserResponseSchema, { user: create(UserSchema, { id: req.userId, name: "cookie holder" }) });
        },
      });
    const handler = connectNodeAdapter({ routes });
    api = createServer((req, res) => (answerCors(req, res, pageOrigin) ? undefined : handler(req, res)));
    apiUrl = await listen(api);
  });

  afterAll(async () => {
    for (const server of [pages, api]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  async function getUserFromPage(credentials: RequestCredentials | undefined) {
    const context = await browser().newContext();
    // The API's own cookie, as a login on its origin would have set it.
    await context.addCookies([{ name: "session", value: "s-42", url: apiUrl }]);
    const page = await context.newPage();
    await page.goto(`${pageOrigin}/index.html`);
    const result = await page.evaluate(
      async ({ url, credentials }) => {
        const lib = window.userctl;
        const transport = lib.createTransport({ baseUrl: url, retry: false, ...(credentials !== undefined && { credentials }) });
        const client = lib.createClient(lib.UserService, transport);
        try {
          const { user } = await client.getUser({ userId: "u-1" });
          return { name: user?.name };
        } catch (e) {
          return { error: e instanceof lib.ConnectError ? `${e.constructor.name} ${lib.Code[e.code]}` : String(e) };
        }
      },
      { url: apiUrl, credentials },
    );
    await context.close();
    return result;
  }

  it('sends the cookie with credentials "include", and the call succeeds', async () => {
    cookiesSeen.length = 0;
    expect(await getUserFromPage("include")).toEqual({ name: "cookie holder" });
    expect(cookiesSeen).toEqual([sessionCookie]);
  });

  it("sends no cookie cross-origin with fetch's default, and the API's refusal is a typed error", async () => {
    cookiesSeen.length = 0;
    expect(await getUserFromPage(undefined)).toEqual({ error: "UnauthenticatedError Unauthenticated" });
    expect(cookiesSeen).toEqual([undefined]);
  });
});

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

/** CORS with credentials: the exact page origin (never "*") and allow-credentials. Returns true when it answered a preflight. */
function answerCors(req: IncomingMessage, res: ServerResponse, allowedOrigin: string): boolean {
  if (req.headers.origin !== allowedOrigin) return false;
  res.setHeader("access-control-allow-origin", allowedOrigin);
  res.setHeader("access-control-allow-credentials", "true");
  res.setHeader("vary", "Origin");
  if (req.method === "OPTIONS") {
    res.statusCode = 204;
    res.setHeader("access-control-allow-methods", "POST");
    res.setHeader("access-control-allow-headers", req.headers["access-control-request-headers"] ?? "");
    res.end();
    return true;
  }
  res.setHeader("access-control-expose-headers", "grpc-status, grpc-message, grpc-status-details-bin");
  return false;
}
