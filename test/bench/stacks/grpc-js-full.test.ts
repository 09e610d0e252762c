import type { IncomingHttpHeaders } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PATHS } from "../../../bench/protocol/bench-messages.js";
import { releaseHeldStreams } from "../../../bench/scenarios/release-held-streams.js";
import { type BenchServer, startBenchServer } from "../../../bench/server/bench-server.js";
import type { StackName } from "../../../bench/stacks/bench-client.js";
import { loadStack } from "../../../bench/stacks/load-stack.js";

/** What a stack adds to each call beyond the gRPC protocol: the headers issue #12 asks grpc-js-full to match. */
interface CallExtras {
  path: string;
  authorization: string | undefined;
  correlationId: string | undefined;
  timeoutMs: number | undefined;
}

const msPerUnit: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: BenchServer;
let seen: IncomingHttpHeaders[] = [];
beforeAll(async () => {
  server = await startBenchServer({ onRequestHeaders: (headers) => seen.push(headers) });
});
afterAll(() => server.close());

/** Runs every kind of call of the workload through `stack` and returns what each UserService call carried. */
async function extrasOf(stack: StackName): Promise<CallExtras[]> {
  seen = [];
  const client = await (await loadStack(stack))(server.url);
  try {
    await client.unary("small");
    await client.unary("1k");
    await client.serverStream(2);
    await client.clientStream(2);
    await client.bidiPingPong(2);
    const held = await client.openHeldStream();
    await releaseHeldStreams(server.url);
    await held.ended();
  } finally {
    await client.close();
  }
  return seen
    .filter((h) => h[":path"] !== PATHS.releaseHeld)
    .map((h) => {
      const timeout = /^(\d+)([HMSmun])$/.exec(String(h["grpc-timeout"] ?? ""));
      return {
        path: String(h[":path"]),
        authorization: h.authorization,
        correlationId: h["x-correlation-id"] as string | undefined,
        timeoutMs: timeout === null ? undefined : Number(timeout[1]) * msPerUnit[timeout[2]!]!,
      };
    });
}

describe("the grpc-js-full stack", () => {
  it("sends on every call the deadline, bearer token and fresh correlation id that ours-full sends", async () => {
    const ours = await extrasOf("ours-full");
    const grpcJsFull = await extrasOf("grpc-js-full");
    expect(grpcJsFull.map((c) => c.path)).toEqual(ours.map((c) => c.path));
    expect(ours.map((c) => c.path)).toEqual([
      PATHS.getUser,
      PATHS.getUser,
      PATHS.watchUsers,
      PATHS.bulkCreateUsers,
      PATHS.syncUsers,
      PATHS.watchUsers,
    ]);
    for (const [i, call] of grpcJsFull.entries()) {
      const theirs = ours[i]!;
      expect(call.authorization, call.path).toBe(theirs.authorization);
      expect(call.authorization, call.path).toMatch(/^Bearer \S+$/);
      expect(call.correlationId, call.path).toMatch(uuid);
      expect(theirs.correlationId, call.path).toMatch(uuid);
      // Both compute the header from the same deadline, a few ms apart at most.
      if (theirs.timeoutMs === undefined) expect(call.timeoutMs, call.path).toBeUndefined();
      else expect(Math.abs(call.timeoutMs! - theirs.timeoutMs), call.path).toBeLessThan(1_000);
    }
    expect(ours.filter((c) => c.timeoutMs !== undefined).map((c) => c.path)).toEqual([PATHS.getUser, PATHS.getUser, PATHS.bulkCreateUsers]);
    expect(new Set(grpcJsFull.map((c) => c.correlationId)).size).toBe(grpcJsFull.length);
  });

  it("differs from the plain grpc-js stack only by those headers", async () => {
    const plain = await extrasOf("grpc-js");
    expect(plain.every((c) => c.authorization === undefined && c.correlationId === undefined && c.timeoutMs === undefined)).toBe(true);
  });
});
