import type { CreateBenchClient, StackName } from "./bench-client.js";

/**
 * Imports one stack's module only, so that a child process loads the
 * libraries of the stack it measures and nothing else (cold start counts them).
 */
export async function loadStack(name: StackName): Promise<CreateBenchClient> {
  switch (name) {
    case "ours-full":
      return (await import("./ours-full.js")).createOursFullClient;
    case "ours-bare":
      return (await import("./ours-bare.js")).createOursBareClient;
    case "connect-node":
      return (await import("./connect-node.js")).createConnectNodeClient;
    case "grpc-js":
      return (await import("./grpc-js.js")).createGrpcJsClient;
    case "grpc-js-full":
      return (await import("./grpc-js-full.js")).createGrpcJsFullClient;
    case "raw-http2":
      return (await import("./raw-http2.js")).createRawHttp2Client;
  }
}
