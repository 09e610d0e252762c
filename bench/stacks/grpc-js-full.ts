import * as grpc from "@grpc/grpc-js";
import { BENCH_TOKEN } from "../protocol/bench-messages.js";
import type { BenchClient } from "./bench-client.js";
import { createGrpcJsBenchClient, type GrpcJsMethod } from "./grpc-js-bench-client.js";

/**
 * The deadline ours-full gives each method by default (our deadline policy:
 * 5 s for a NO_SIDE_EFFECTS unary method such as GetUser, 120 s for a client
 * stream, none for server and bidi streams). test/bench/stacks/ checks that
 * both stacks send the same `grpc-timeout` on every method.
 */
export const OURS_FULL_DEADLINE_MS: Readonly<Record<GrpcJsMethod, number | undefined>> = {
  getUser: 5_000,
  watchUsers: undefined,
  bulkCreateUsers: 120_000,
  syncUsers: undefined,
};

const authorization = `Bearer ${BENCH_TOKEN}`;

/**
 * grpc-js sending what ours-full sends on every call, so that the comparison
 * is like for like (issue #12): the same deadline (the `deadline` call
 * option), `authorization: Bearer <token>` and a fresh `x-correlation-id`
 * (`crypto.randomUUID()`, as our correlation policy makes one) in each
 * call's metadata. Plain metadata, because grpc-js refuses call credentials
 * on an insecure channel, and this is what an application on loopback writes.
 * No retry policy: grpc-js retries only with a service config, and a policy
 * sends nothing more on a call that succeeds.
 */
export function createGrpcJsFullClient(baseUrl: string): BenchClient {
  return createGrpcJsBenchClient(baseUrl, (method) => {
    const metadata = new grpc.Metadata();
    metadata.set("authorization", authorization);
    metadata.set("x-correlation-id", crypto.randomUUID());
    const deadlineMs = OURS_FULL_DEADLINE_MS[method];
    return { metadata, options: deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs } };
  });
}
