import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";

/** Sizes of one minified browser bundle, in bytes. */
export interface BundleSize {
  minified: number;
  gzip: number;
  brotli: number;
}

/**
 * Bundles `entryPoint` as a browser app would ship it (minified ES2022 ESM,
 * tree-shaken, no source map) and measures it raw, gzipped at level 9 and
 * brotli-compressed at maximum quality. Paths resolve from `workingDir`.
 */
export async function measureBundle(entryPoint: string, workingDir: string): Promise<BundleSize> {
  const result = await build({
    absWorkingDir: workingDir,
    entryPoints: [entryPoint],
    bundle: true,
    minify: true,
    treeShaking: true,
    sourcemap: false,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error(`esbuild produced no output for ${entryPoint}`);
  return {
    minified: code.byteLength,
    gzip: gzipSync(code, { level: 9 }).byteLength,
    brotli: brotliCompressSync(code, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: code.byteLength,
      },
    }).byteLength,
  };
}
