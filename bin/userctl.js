#!/usr/bin/env node
// userctl: the project's command-line program. The TypeScript sources are
// compiled to dist/ by `npm run build` (run by `npm start`, `npm test` and
// `npm pack` before packing). Installed as the `userctl-rpc` bin: `npx userctl-rpc help`.
import { main } from "../dist/src/cli/main.js";

const code = await main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s + "\n"),
  err: (s) => process.stderr.write(s + "\n"),
});
process.exitCode = code;
// Everything is closed by now; this unref'd timer only fires if a handle
// leaked, so a finished command can never hang.
setTimeout(() => process.exit(code), 2000).unref();
