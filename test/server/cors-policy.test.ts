import { afterEach, describe, expect, it } from "vitest";
import { createCorsPolicy } from "../../src/server/cors-policy.js";
import { type RunningServer, startServer, TEST_TOKEN } from "../helpers/test-server.js";

// Node's fetch does not enforce CORS, so these tests read exactly what the
// server tells a browser; test/browser/cross-origin.test.ts shows a browser obeying it.

const getUserPath = "/user.v1.UserService/GetUser";

function preflight(url: string, origin: string, headers = "authorization, content-type, x-grpc-web, x-user-agent") {
  return fetch(`${url}${getUserPath}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": headers },
  });
}

function connectCall(url: string, origin: string) {
  return fetch(`${url}${getUserPath}`, {
    method: "POST",
    headers: { origin, "content-type": "application/json", authorization: `Bearer ${TEST_TOKEN}` },
    body: JSON.stringify({ userId: "nobody" }),
  });
}

describe("the server's CORS policy", () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.server.close();
    running = undefined;
  });

  it("answers a preflight from a localhost page by default, allowing the requested headers", async () => {
    running = await startServer();
    const response = await preflight(running.url, "http://localhost:5173");
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(response.headers.get("access-control-allow-methods")).toBe("POST, GET");
    expect(response.headers.get("access-control-allow-headers")).toBe("authorization, content-type, x-grpc-web, x-user-agent");
    expect(response.headers.get("access-control-max-age")).toBe("7200");
    expect(response.headers.get("vary")).toBe("Origin");
  });

  it("exposes the gRPC-Web status, error details, pushback and correlation headers on the response", async () => {
    running = await startServer();
    const response = await connectCall(running.url, "http://127.0.0.1:8080");
    expect(response.status).toBe(404);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:8080");
    const exposed = response.headers.get("access-control-expose-headers")!.split(", ");
    for (const name of ["grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-retry-pushback-ms", "x-correlation-id"]) {
      expect(exposed).toContain(name);
    }
  });

  it("refuses a preflight from an origin that is neither the server's own nor loopback", async () => {
    running = await startServer();
    const response = await preflight(running.url, "https://evil.example");
    expect(response.status).toBe(403);
    expect(await response.text()).toBe("origin https://evil.example is not allowed to call this server\n");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a call from a refused origin without CORS headers, so the browser withholds it from the page", async () => {
    running = await startServer();
    const response = await connectCall(running.url, "https://evil.example");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-expose-headers")).toBeNull();
  });

  it("allows exactly the configured origins (plus its own) when allowedOrigins is set", async () => {
    running = await startServer(undefined, { allowedOrigins: ["https://app.example.com"] });
    expect((await preflight(running.url, "https://app.example.com")).status).toBe(204);
    expect((await preflight(running.url, "https://app.example.com:8443")).status).toBe(403);
    expect((await preflight(running.url, "http://localhost:5173")).status).toBe(403);
    expect((await preflight(running.url, running.url)).status).toBe(204);
  });

  it("allows any origin with allowedOrigins ['*'], echoing it rather than sending a wildcard", async () => {
    running = await startServer(undefined, { allowedOrigins: ["*"] });
    const response = await preflight(running.url, "https://anywhere.example");
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://anywhere.example");
  });

  it("leaves requests without an Origin (gRPC clients, curl) untouched", async () => {
    running = await startServer();
    const response = await fetch(`${running.url}${getUserPath}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TEST_TOKEN}` },
      body: JSON.stringify({ userId: "nobody" }),
    });
    expect(response.status).toBe(404);
    expect(response.headers.get("vary")).toBeNull();
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("rejects a configured origin that is not scheme, host and port, naming it", () => {
    expect(() => createCorsPolicy({ allowedOrigins: ["app.example.com"] })).toThrow(
      'allowedOrigins: "app.example.com" is not an origin like "https://app.example.com" or "*"',
    );
    expect(() => createCorsPolicy({ allowedOrigins: ["https://app.example.com/path"] })).toThrow(
      'allowedOrigins: "https://app.example.com/path" must be a scheme, host and optional port, nothing more',
    );
  });
});
