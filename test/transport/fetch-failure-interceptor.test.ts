import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createFetchFailureInterceptor } from "../../src/transport/fetch-failure-interceptor.js";

// Unit test of the classification; test/browser/client-in-page.test.ts shows
// it on a real "Failed to fetch" in Chromium.

function clientFailingWith(error: unknown, abort?: AbortController): Promise<ConnectError> {
  const transport = createRouterTransport(({ service }) => service(UserService, {}), {
    transport: {
      interceptors: [
        createFetchFailureInterceptor(),
        () => () => {
          abort?.abort();
          throw error;
        },
      ],
    },
  });
  const client = createClient(UserService, transport);
  return client.getUser({ userId: "u" }, abort ? { signal: abort.signal } : {}).then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => ConnectError.from(e),
  );
}

describe("the fetch failure interceptor", () => {
  it("turns fetch's TypeError into UNAVAILABLE that names the URL and suggests CORS", async () => {
    const error = await clientFailingWith(new TypeError("Failed to fetch"));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(
      /^network error calling .*\/user\.v1\.UserService\/GetUser: Failed to fetch \(the server is unreachable, or the browser blocked the response: check CORS\)$/,
    );
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it("also recognises the TypeError connect-web already wrapped as UNKNOWN", async () => {
    const wrapped = new ConnectError("Load failed", Code.Unknown, undefined, undefined, new TypeError("Load failed"));
    expect((await clientFailingWith(wrapped)).code).toBe(Code.Unavailable);
  });

  it("leaves server errors, other UNKNOWN errors and cancelled calls alone", async () => {
    expect((await clientFailingWith(new ConnectError("gone", Code.NotFound))).code).toBe(Code.NotFound);
    expect((await clientFailingWith(new ConnectError("odd", Code.Unknown))).code).toBe(Code.Unknown);
    expect((await clientFailingWith(new TypeError("aborted"), new AbortController())).code).toBe(Code.Canceled);
  });
});
