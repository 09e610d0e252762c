import type { Transport } from "@connectrpc/connect";
import { describe, expectTypeOf, it } from "vitest";
import type { NodeTransport } from "../../src/node/create-transport.js";
import { createTransport as createNodeTransport } from "../../src/node/create-transport.js";
import type { ClientTransport } from "../../src/transport/client-transport.js";
import { createTransport as createWebTransport } from "../../src/web/create-transport.js";
import { createTransportWithConnect } from "../../src/web/create-transport-with-connect.js";

// Issue 14 item 4: code and types written for one runtime compile for the other.
describe("the transport type of both runtimes", () => {
  it("is what every createTransport returns, a connect Transport with close, activeCalls and state", () => {
    expectTypeOf(createWebTransport).returns.toEqualTypeOf<ClientTransport>();
    expectTypeOf(createTransportWithConnect).returns.toEqualTypeOf<ClientTransport>();
    expectTypeOf(createNodeTransport).returns.toMatchTypeOf<ClientTransport>();
    expectTypeOf<NodeTransport>().toMatchTypeOf<ClientTransport>();
    expectTypeOf<ClientTransport>().toMatchTypeOf<Transport>();
    expectTypeOf<ClientTransport["close"]>().parameters.toEqualTypeOf<[options?: { graceMs?: number }]>();
    expectTypeOf<ReturnType<ClientTransport["state"]>>().toEqualTypeOf<"idle" | "connecting" | "ready" | "transient_failure" | "closed">();
  });
});
