import { readFileSync } from "node:fs";
import { BUNDLE_SIZE_APPS } from "../../../bench/bundle-size/bundle-size-apps.js";
import { describe, expect, it } from "vitest";
import { renderSizeTable, spliceSizeTable } from "../../../bench/bundle-size/render-size-table.js";

const apps = [
  { name: "ours", schema: "bench", contains: "our transport", baseline: "base", goal: 0.75 },
  { name: "base", schema: "bench", contains: "connect-web", baseline: undefined },
] as const;
const sizes = {
  ours: { minified: 12_346, gzip: 4_400, brotli: 3_600 },
  base: { minified: 10_000, gzip: 4_000, brotli: 4_000 },
};

describe("renderSizeTable", () => {
  it("shows each size, its gzip ratio to its baseline and its goal", () => {
    expect(renderSizeTable(apps, sizes).split("\n").slice(2)).toEqual([
      "| ours | bench | our transport | 12,346 | 4,400 | 3,600 | 1.10× (+400) | ≤ 0.75× |",
      "| base | bench | connect-web | 10,000 | 4,000 | 4,000 | baseline |  |",
    ]);
  });

  it("throws when an app was not measured", () => {
    expect(() => renderSizeTable(apps, { base: sizes.base })).toThrow('no size measured for app "ours"');
  });
});

describe("spliceSizeTable", () => {
  it("replaces what lies between the markers", () => {
    const readme = "intro\n<!-- bundle-size-table:start -->\nold\n<!-- bundle-size-table:end -->\nafter\n";
    expect(spliceSizeTable(readme, "new")).toBe("intro\n<!-- bundle-size-table:start -->\nnew\n<!-- bundle-size-table:end -->\nafter\n");
  });

  it("throws when the markers are missing", () => {
    expect(() => spliceSizeTable("no table here", "new")).toThrow("README has no");
  });
});

describe("the committed bundle sizes", () => {
  it("are the ones the README table shows", () => {
    const read = (file: string) => readFileSync(new URL(`../../../bench/bundle-size/${file}`, import.meta.url), "utf8");
    const committed = JSON.parse(read("bundle-size.json")) as { apps: Parameters<typeof renderSizeTable>[1] };
    const readme = read("README.md");
    expect(spliceSizeTable(readme, renderSizeTable(BUNDLE_SIZE_APPS, committed.apps))).toBe(readme);
  });
});
