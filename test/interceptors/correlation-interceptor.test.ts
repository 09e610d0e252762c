import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { type CorrelationInterceptorOptions, createCorrelationInterceptor } from "../../src/interceptors/correlation-interceptor.js";
import { nodeAmbientCorrelationId, withCorrelationId } from "../../src/node/ambient-context.js";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A client whose handler records the value of `headerName` it received. */
function createRecordingClient(options: CorrelationInterceptorOptions, headerName = "x-correlation-id") {
  const received: Array<string | null> = [];
  const transport = createRouterTransport(
    ({ service }) => {
      service(UserService, {
        getUser(_req, ctx) {
          received.push(ctx.requestHeader.get(headerName));
          return {};
        },
      });
    },
    { transport: { interceptors: [createCorrelationInterceptor(options)] } },
  );
  return { client: createClient(UserService, transport), received };
}

describe("createCorrelationInterceptor", () => {
  it("sends a new uuid with every call", async () => {
    const { client, received } = createRecordingClient({});
    await client.getUser({});
    await client.getUser({});
    expect(received).toHaveLength(2);
    expect(received[0]).toMatch(uuidPattern);
    expect(received[1]).toMatch(uuidPattern);
    expect(received[0]).not.toBe(received[1]);
  });

  it("keeps an id the caller already set", async () => {
    const { client, received } = createRecordingClient({ ambientCorrelationId: () => "ambient-1" });
    await client.getUser({}, { headers: { "x-correlation-id": "caller-7" } });
    expect(received).toEqual(["caller-7"]);
  });

  it("reuses the ambient id", async () => {
    const { client, received } = createRecordingClient({
      ambientCorrelationId: () => "ambient-1",
      generateId: () => "generated",
    });
    await client.getUser({});
    expect(received).toEqual(["ambient-1"]);
  });

  it("reuses the id set with withCorrelationId on Node, and generates one outside it", async () => {
    let n = 0;
    const { client, received } = createRecordingClient({
      ambientCorrelationId: nodeAmbientCorrelationId,
      generateId: () => `generated-${++n}`,
    });
    await withCorrelationId("req-42", () => client.getUser({}));
    await client.getUser({});
    expect(received).toEqual(["req-42", "generated-1"]);
  });

  it("uses the configured header name", async () => {
    const { client, received } = createRecordingClient({ headerName: "x-request-id", generateId: () => "id-1" }, "x-request-id");
    await client.getUser({});
    expect(received).toEqual(["id-1"]);
  });

  it("rejects a header name that is not lower case", () => {
    expect(() => createCorrelationInterceptor({ headerName: "X-Request-Id" })).toThrow(/invalid option headerName/);
  });
});
