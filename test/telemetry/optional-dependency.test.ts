import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";
import { describeNodeDependencies, findNodeDependencies } from "../helpers/find-node-dependencies.js";

const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The modules `entry` loads when it is imported: its static imports, followed
 * transitively (a dynamic `import()` loads only when it runs, so it is not
 * followed). Bundled with esbuild for `platform`, paths relative to the repository.
 */
async function staticallyLoaded(entry: string, platform: "node" | "browser"): Promise<string[]> {
  const { metafile } = await build({
    absWorkingDir: repositoryRoot,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform,
    format: "esm",
    logLevel: "silent",
  });
  return [...reach(metafile, entry)];
}

function reach(metafile: Metafile, entry: string): Set<string> {
  const seen = new Set([entry]);
  const queue = [entry];
  for (let module = queue.shift(); module !== undefined; module = queue.shift()) {
    for (const imported of metafile.inputs[module]?.imports ?? []) {
      if (imported.kind === "dynamic-import" || imported.external || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  return seen;
}

const openTelemetry = (modules: string[]) => modules.filter((m) => m.includes("@opentelemetry/"));

describe("@opentelemetry/api, an optional peer dependency,", () => {
  it.each([
    ["src/node/index.ts", "node"],
    ["src/web/index.ts", "browser"],
    ["src/public-api.ts", "browser"],
    ["src/server/index.ts", "node"],
    ["src/cli/main.ts", "node"],
  ] as const)("is not loaded by %s", async (entry, platform) => {
    const modules = await staticallyLoaded(entry, platform);
    expect(modules.length).toBeGreaterThan(10); // the check sees the module graph at all
    expect(openTelemetry(modules)).toEqual([]);
  });

  it("is loaded by the telemetry entry, and by the CLI only through --trace's dynamic import", async () => {
    expect(openTelemetry(await staticallyLoaded("src/telemetry/index.ts", "browser"))).not.toEqual([]);
    const { metafile } = await build({
      absWorkingDir: repositoryRoot,
      entryPoints: ["src/cli/main.ts"],
      bundle: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      logLevel: "silent",
    });
    const dynamic = Object.entries(metafile.inputs).flatMap(([from, input]) =>
      input.imports.filter((i) => i.kind === "dynamic-import").map((i) => `${from} -> ${i.path}`),
    );
    expect(dynamic).toEqual([
      "src/cli/trace-flag.ts -> src/telemetry/index.ts",
      "src/cli/trace-flag.ts -> src/telemetry/trace-recorder.ts",
    ]);
  });
});

describe("the telemetry entry", () => {
  it("bundles for the browser without Node built-ins", async () => {
    const { builtins } = await findNodeDependencies("src/telemetry/index.ts");
    expect(builtins, describeNodeDependencies({ builtins, globals: [] })).toEqual([]);
  });

  it("references no Node global but guarded feature checks", async () => {
    const { globals } = await findNodeDependencies("src/telemetry/index.ts");
    expect(globals, describeNodeDependencies({ builtins: [], globals })).toEqual([
      // `typeof process != "object" || …`, as in the browser entry.
      { name: "process", module: "node_modules/@bufbuild/protobuf/dist/esm/proto-int64.js", count: 3 },
      // `… : typeof global === "object" ? global : {}`, after globalThis, self and window.
      { name: "global", module: "node_modules/@opentelemetry/api/dist/internal/global-utils.mjs", count: 2 },
    ]);
  });
});
