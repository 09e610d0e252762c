import type { MessageSize } from "../protocol/bench-messages.js";

/** The client stacks, in table order: ours first, the floor last (see bench/README.md). */
export const STACK_NAMES = ["ours-full", "ours-bare", "connect-node", "grpc-js", "grpc-js-full", "raw-http2"] as const;
export type StackName = (typeof STACK_NAMES)[number];

/** A WatchUsers stream the server holds open after its first message. */
export interface HeldStream {
  /**
   * Resolves once the stream ended normally (the server ends held streams
   * when asked, see releaseHeldStreams); rejects if it failed or carried another event.
   */
  ended(): Promise<void>;
}

/**
 * The workload, as each stack implements it with its own API. Every method
 * rejects on any error or unexpected answer, so a stack cannot look fast by failing.
 */
export interface BenchClient {
  /** One GetUser; request and response of `size` (see MESSAGE_BYTES). */
  unary(size: MessageSize): Promise<void>;
  /** Reads a WatchUsers stream of `count` events to its end. */
  serverStream(count: number): Promise<void>;
  /** Sends `count` BulkCreateUsers requests on one stream and awaits the answer. */
  clientStream(count: number): Promise<void>;
  /** `rounds` SyncUsers request/response round trips, one at a time, on one stream. */
  bidiPingPong(rounds: number): Promise<void>;
  /** Opens a held WatchUsers stream; resolves once its first event arrived. */
  openHeldStream(): Promise<HeldStream>;
  /** Releases the connection. */
  close(): Promise<void>;
}

/** What each stack module exports (under a stack-specific name). */
export type CreateBenchClient = (baseUrl: string) => BenchClient | Promise<BenchClient>;

/** Throws unless `actual` is what the scenario expects: a stack that returns the wrong thing must fail the run. */
export function expectCount(what: string, actual: number | bigint, expected: number): void {
  if (Number(actual) !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

/** Resolves when `events` ends with no further event; rejects if one comes. */
export async function expectEnd(events: AsyncIterator<unknown>): Promise<void> {
  if (!(await events.next()).done) throw new Error("WatchUsers: held stream sent a second event");
}
