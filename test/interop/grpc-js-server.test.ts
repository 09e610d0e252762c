import { createTransport } from "../../src/node/index.js";
import { describeInteropPeer } from "./describe-interop-peer.js";
import { startGrpcJsTestServer } from "./grpc-js/test-service-server.js";

// Our client runs the standard interop cases against a TestService server on
// @grpc/grpc-js (grpc-js/test-service-server.ts), in this process.

describeInteropPeer({
  name: "grpc-js server",
  // A dev dependency: npm ci installs it, so it is always there.
  readiness: { ready: true },
  install: "npm ci",
  async start() {
    const server = await startGrpcJsTestServer();
    return {
      transport: createTransport({ baseUrl: `http://127.0.0.1:${server.port}`, protocol: "grpc" }),
      stop: server.stop,
    };
  },
});
