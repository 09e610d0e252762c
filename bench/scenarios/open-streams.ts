import type { BenchClient } from "../stacks/bench-client.js";
import { openHeldStreams } from "./open-held-streams.js";
import { releaseHeldStreams } from "./release-held-streams.js";
import type { OpenStreamsSpec, ScenarioResult } from "./scenario-spec.js";

/**
 * Opens `streams` WatchUsers streams the server holds open (within the
 * spec's time bound: see openHeldStreams), waits until each has received
 * its first event, collects garbage, and reports heap and RSS growth per
 * stream that opened, over the baseline taken before opening them (after a
 * few streams were opened and closed, so first-use costs do not count).
 * Then has the server end them all and waits until every one ended
 * normally. Needs `node --expose-gc`.
 */
export async function runOpenStreams(client: BenchClient, spec: OpenStreamsSpec, baseUrl: string): Promise<ScenarioResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("open-streams needs global.gc: run node with --expose-gc");
  const collect = async () => {
    // Let closed streams' callbacks run before collecting, twice for weak references.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    gc();
    gc();
  };

  const warm = await Promise.all(Array.from({ length: 16 }, () => client.openHeldStream()));
  await releaseHeldStreams(baseUrl);
  await Promise.all(warm.map((s) => s.ended()));
  await collect();
  const before = process.memoryUsage();

  const { held, openMs } = await openHeldStreams(() => client.openHeldStream(), {
    streams: spec.streams,
    concurrency: spec.openConcurrency,
    openTimeoutMs: spec.openTimeoutMs,
    openGraceMs: spec.openGraceMs,
  });
  if (held.length === 0) throw new Error(`no held stream opened within ${spec.openTimeoutMs + spec.openGraceMs} ms`);
  await collect();
  const after = process.memoryUsage();

  await releaseHeldStreams(baseUrl);
  await Promise.all(held.map((s) => s.ended()));
  return {
    scenario: spec.name,
    metrics: {
      heapBytesPerStream: (after.heapUsed - before.heapUsed) / held.length,
      rssBytesPerStream: (after.rss - before.rss) / held.length,
      openMs,
      streamsOpened: held.length,
      allStreamsOpened: held.length === spec.streams ? 1 : 0,
    },
    ops: held.length + warm.length,
  };
}
