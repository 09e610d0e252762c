import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ConnectError } from "@connectrpc/connect";
import { countOpenHandles } from "./open-handles.js";

/** Options for {@link runLoad}. */
export interface LoadOptions {
  /** Calls to make in all. */
  calls: number;
  /** Callers running at once, each making one call after another. */
  concurrency: number;
  /** Makes call number `i` (from 0). */
  call: (i: number) => Promise<unknown>;
  /** Runs once, when `atCall` calls have finished (e.g. to stop a server mid-run). */
  midway?: { atCall: number; run: () => void };
}

/** What a load run measured. */
export interface LoadResult {
  readonly ok: number;
  readonly failed: number;
  /** The first few failures, as "code: message". */
  readonly errors: string[];
  readonly ms: number;
  /** The most sockets open at once (both ends, if the server runs in this process), sampled every 5 ms. */
  readonly maxSockets: number;
}

/** Makes `calls` calls with `concurrency` callers and counts the outcomes; never rejects. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let started = 0;
  let finished = 0;
  let ok = 0;
  const errors: string[] = [];
  let maxSockets = 0;
  const sampler = setInterval(() => (maxSockets = Math.max(maxSockets, countOpenHandles().sockets)), 5);
  const begin = performance.now();
  const caller = async () => {
    while (started < options.calls) {
      const i = started++;
      try {
        await options.call(i);
        ok++;
      } catch (e) {
        const error = ConnectError.from(e);
        errors.push(`${error.code}: ${error.message}`);
      }
      if (++finished === options.midway?.atCall) options.midway.run();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  clearInterval(sampler);
  return { ok, failed: errors.length, errors: errors.slice(0, 5), ms: Math.round(performance.now() - begin), maxSockets };
}

let gc: (() => void) | undefined;

/**
 * The heap in use after a full garbage collection, in MiB. `gc()` is exposed
 * at run time (the V8 flag plus a fresh context), so the figure is what is
 * still reachable, not what the collector has yet to reclaim.
 */
export function heapUsedAfterGcMiB(): number {
  if (gc === undefined) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** Waits `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
