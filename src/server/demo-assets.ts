import { existsSync, readdirSync, readFileSync } from "node:fs";
import type * as http from "node:http";
import type * as http2 from "node:http2";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/** Serves the demo web app; returns true when it answered the request. */
export type DemoAssets = (req: Request, res: Response) => boolean;

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

// The page only ever talks to the server that served it.
const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Serves the files of the demo app (`npm run build` writes them to
 * `dist/demo`) for GET and HEAD: `/` is `index.html`. The files are read
 * once, on the first GET or HEAD (servers that never serve the page never
 * read them), and kept in memory. Without a built demo, `/` explains how to build it.
 */
export function createDemoAssets(dir: string = defaultDemoDir()): DemoAssets {
  let files: Map<string, { body: Buffer; type: string }> | undefined;
  const load = () => {
    files = new Map();
    if (!existsSync(dir)) return files;
    for (const name of readdirSync(dir)) {
      const type = contentTypes[extname(name)];
      if (type !== undefined) files.set(`/${name}`, { body: readFileSync(join(dir, name)), type });
    }
    return files;
  };
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = (req.url ?? "/").split("?")[0]!;
    const file = (files ?? load()).get(path === "/" ? "/index.html" : path);
    if (file === undefined) {
      if (path !== "/") return false;
      res.statusCode = 404;
      res.setHeader("content-type", "text/plain; charset=utf-8");
      res.end(`the demo page is not built (looked in ${dir}): run npm run build\n`);
      return true;
    }
    res.statusCode = 200;
    res.setHeader("content-type", file.type);
    res.setHeader("content-length", String(file.body.length));
    res.setHeader("cache-control", "no-cache");
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("content-security-policy", contentSecurityPolicy);
    if (req.method === "HEAD") res.end();
    else res.end(file.body);
    return true;
  };
}

/** `dist/demo` of this package, found from this module whether it runs from `src/` or `dist/src/`. */
function defaultDemoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "demo");
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "demo");
}
