import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeNodeDependencies, findNodeDependencies } from "../helpers/find-node-dependencies.js";

// The TypeScript source of what the "browser" export condition ships once built.
const webEntry = "src/web/index.ts";

/**
 * The one Node global the browser bundle may mention: protobuf-es reads the
 * BUF_BIGINT_DISABLE switch as `typeof process != "object" || typeof
 * process.env != "object" || process.env.BUF_BIGINT_DISABLE !== "1"`, which
 * never touches `process` where it is undeclared. Pinned with its count, so a
 * new or an unguarded use in that module fails this test too.
 */
const guardedProtobufProcessCheck = {
  name: "process",
  module: "node_modules/@bufbuild/protobuf/dist/esm/proto-int64.js",
  count: 3,
};

describe("the browser entry bundle", () => {
  it("is what the browser export condition resolves to, once compiled", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      exports: Record<string, Record<string, { default: string }>>;
    };
    expect(pkg.exports["."]?.browser?.default).toBe("./dist/src/web/index.js");
  });

  it("imports no Node built-in", async () => {
    const { builtins } = await findNodeDependencies(webEntry);
    expect(builtins, describeNodeDependencies({ builtins, globals: [] })).toEqual([]);
  });

  it("references no Node global but protobuf-es's guarded process check", async () => {
    const { globals } = await findNodeDependencies(webEntry);
    expect(globals, describeNodeDependencies({ builtins: [], globals })).toEqual([guardedProtobufProcessCheck]);
  });
});

describe("the Node dependency check", () => {
  it("reports built-in imports with the chain of modules that leads to them", async () => {
    const { builtins } = await findNodeDependencies("test/web/fixtures/node-dependent-entry.ts");
    const chain = ["test/web/fixtures/node-dependent-entry.ts", "test/web/fixtures/read-config.ts"];
    expect(builtins).toEqual([
      { specifier: "async_hooks", importChain: chain },
      { specifier: "node:fs", importChain: chain },
    ]);
  });

  it("reports free references to Node globals with the module that makes them", async () => {
    const { globals } = await findNodeDependencies("test/web/fixtures/node-dependent-entry.ts");
    expect(globals).toEqual([{ name: "Buffer", module: "test/web/fixtures/node-dependent-entry.ts", count: 1 }]);
  });

  it("describes each finding on one line", () => {
    const text = describeNodeDependencies({
      builtins: [{ specifier: "node:fs", importChain: ["a.ts", "b.ts"] }],
      globals: [{ name: "Buffer", module: "a.ts", count: 2 }],
    });
    expect(text).toBe("imports node:fs via a.ts -> b.ts\nreferences Buffer 2 time(s) in a.ts");
  });
});
