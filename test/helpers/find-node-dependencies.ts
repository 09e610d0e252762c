import { builtinModules } from "node:module";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile, type Plugin } from "esbuild";

/** Globals that exist in Node but not in browsers. */
export const NODE_GLOBALS = ["process", "Buffer", "global", "__dirname", "__filename", "require", "setImmediate", "module"] as const;

/** An import of a Node built-in, with the modules that lead to it from the entry. */
export interface NodeBuiltinImport {
  /** As written in the source: "node:fs", "fs", "http2", ... */
  specifier: string;
  /** Entry first, the module that imports `specifier` last; paths relative to the repository. */
  importChain: string[];
}

/** Free references to one Node global from one bundled module. */
export interface NodeGlobalReference {
  name: (typeof NODE_GLOBALS)[number];
  /** The bundled module, relative to the repository, e.g. "node_modules/@bufbuild/protobuf/dist/esm/proto-int64.js". */
  module: string;
  count: number;
}

/** Everything a browser bundle of an entry would need from Node. */
export interface NodeDependencies {
  builtins: NodeBuiltinImport[];
  globals: NodeGlobalReference[];
}

const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url));
const markerPattern = /__NODE_GLOBAL_(\w+?)__/g;
// esbuild starts each module of an unminified bundle with a "// path" comment.
const moduleCommentPattern = /^\s*\/\/ (\S+\.[cm]?[jt]sx?)$/;

/**
 * Bundles `entryPoint` (a path relative to the repository) for browsers with
 * esbuild and lists the Node built-ins it imports and the Node globals it
 * references. Globals are found with `define`, which replaces only free
 * references: each becomes a marker we can search for, so a local variable
 * named `process` or `module` is not reported, while `typeof process` is.
 */
export async function findNodeDependencies(entryPoint: string): Promise<NodeDependencies> {
  const imports: { specifier: string; importer: string }[] = [];
  const recordBuiltins: Plugin = {
    name: "record-node-builtins",
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /.*/ }, (args) => {
        if (!isNodeBuiltin(args.path)) return undefined;
        imports.push({ specifier: args.path, importer: toRepositoryPath(args.importer) });
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    absWorkingDir: repositoryRoot,
    entryPoints: [entryPoint],
    bundle: true,
    write: false,
    metafile: true,
    platform: "browser",
    format: "esm",
    logLevel: "silent",
    define: Object.fromEntries(NODE_GLOBALS.map((name) => [name, `__NODE_GLOBAL_${name}__`])),
    plugins: [recordBuiltins],
  });
  const parents = importParents(result.metafile, toRepositoryPath(entryPoint));
  // esbuild resolves in parallel: sort, so that findings come in a stable order.
  const builtins = imports
    .map(({ specifier, importer }) => ({ specifier, importChain: chainTo(importer, parents) }))
    .sort((a, b) => `${a.specifier} ${a.importChain.join()}`.localeCompare(`${b.specifier} ${b.importChain.join()}`));
  return { builtins, globals: findGlobalMarkers(result.outputFiles[0]?.text ?? "") };
}

/** One line per finding, for assertion messages. */
export function describeNodeDependencies({ builtins, globals }: NodeDependencies): string {
  return [
    ...builtins.map((b) => `imports ${b.specifier} via ${b.importChain.join(" -> ")}`),
    ...globals.map((g) => `references ${g.name} ${g.count} time(s) in ${g.module}`),
  ].join("\n");
}

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || builtinModules.includes(specifier);
}

function toRepositoryPath(path: string): string {
  return relative(repositoryRoot, path).split("\\").join("/");
}

/** For each module the first module (breadth first from the entry) that imports it. */
function importParents(metafile: Metafile, entry: string): Map<string, string> {
  const parents = new Map<string, string>([[entry, ""]]);
  const queue = [entry];
  for (let module = queue.shift(); module !== undefined; module = queue.shift()) {
    for (const imported of metafile.inputs[module]?.imports ?? []) {
      if (imported.external || parents.has(imported.path)) continue;
      parents.set(imported.path, module);
      queue.push(imported.path);
    }
  }
  return parents;
}

function chainTo(module: string, parents: Map<string, string>): string[] {
  const chain: string[] = [];
  for (let m: string | undefined = module; m; m = parents.get(m)) chain.unshift(m);
  return chain;
}

function findGlobalMarkers(code: string): NodeGlobalReference[] {
  const counts = new Map<string, NodeGlobalReference>();
  let module = "(bundle prelude)";
  for (const line of code.split("\n")) {
    module = moduleCommentPattern.exec(line)?.[1] ?? module;
    for (const [, name] of line.matchAll(markerPattern)) {
      const key = `${name} ${module}`;
      const found = counts.get(key) ?? { name: name as NodeGlobalReference["name"], module, count: 0 };
      found.count++;
      counts.set(key, found);
    }
  }
  return [...counts.values()];
}
