import { describe, expect, it } from "vitest";
import { openHeldStreams } from "../../../bench/scenarios/open-held-streams.js";
import type { HeldStream } from "../../../bench/stacks/bench-client.js";

const stream: HeldStream = { ended: async () => {} };
const never = () => new Promise<HeldStream>(() => {});
const options = { streams: 10, concurrency: 3, openTimeoutMs: 1_000, openGraceMs: 1_000 };

describe("openHeldStreams", () => {
  it("opens every stream, never more at once than its concurrency", async () => {
    let opening = 0;
    let most = 0;
    const open = async () => {
      most = Math.max(most, ++opening);
      await new Promise((resolve) => setImmediate(resolve));
      opening--;
      return stream;
    };
    const { held, abandoned } = await openHeldStreams(open, options);
    expect(held).toHaveLength(10);
    expect(abandoned).toBe(0);
    expect(most).toBe(3);
  });

  it("stops at its time bound and reports the streams it reached, instead of hanging on the ones that never open", async () => {
    let calls = 0;
    const open = () => (++calls <= 4 ? Promise.resolve(stream) : never());
    const { held, abandoned } = await openHeldStreams(open, { ...options, openTimeoutMs: 20, openGraceMs: 10 });
    expect(held).toHaveLength(4);
    expect(abandoned).toBe(3);
    expect(calls).toBe(7);
  });

  it("counts a stream that opens within the grace after the bound", async () => {
    const open = () => new Promise<HeldStream>((resolve) => setTimeout(() => resolve(stream), 30));
    const { held } = await openHeldStreams(open, { ...options, streams: 1, openTimeoutMs: 5, openGraceMs: 1_000 });
    expect(held).toHaveLength(1);
  });

  it("fails with the first stream that fails to open, and ignores the abandoned ones failing later", async () => {
    await expect(openHeldStreams(() => Promise.reject(new Error("refused")), options)).rejects.toThrow("refused");
    const late = () => new Promise<HeldStream>((_, reject) => setTimeout(() => reject(new Error("too late")), 40));
    const { held, abandoned } = await openHeldStreams(late, { ...options, streams: 2, openTimeoutMs: 5, openGraceMs: 5 });
    expect([held.length, abandoned]).toEqual([0, 2]);
    await new Promise((resolve) => setTimeout(resolve, 60)); // an unhandled rejection would fail the test file
  });
});
