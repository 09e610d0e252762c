import { describe, expect, it } from "vitest";
import { createProgressBar, render } from "../../src/cli/progress-bar.js";

describe("the bulk-create progress bar", () => {
  it("renders a bar when the total is known and a count when it is not", () => {
    expect(render(0, 4)).toBe(`[${"-".repeat(30)}] 0/4 users`);
    expect(render(2, 4)).toBe(`[${"#".repeat(15)}${"-".repeat(15)}] 2/4 users`);
    expect(render(4, 4)).toBe(`[${"#".repeat(30)}] 4/4 users`);
    expect(render(7, undefined)).toBe("7 users");
  });

  it("redraws in place with \\r at most every 50 ms, always at the end, and erases itself when finished", () => {
    const written: string[] = [];
    let now = 0;
    const stream = { write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const bar = createProgressBar(stream, 3, () => now);
    bar.update(1);
    now = 10;
    bar.update(2); // too soon: skipped
    now = 20;
    bar.update(3); // the last one: drawn anyway
    bar.finish();
    expect(written).toEqual([`\r${render(1, 3)}\x1b[K`, `\r${render(3, 3)}\x1b[K`, "\r\x1b[K"]);
  });

  it("writes nothing when nothing was processed", () => {
    const written: string[] = [];
    createProgressBar({ write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream, undefined).finish();
    expect(written).toEqual([]);
  });
});
