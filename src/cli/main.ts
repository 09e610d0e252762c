import type { CliClient } from "./cli-client.js";
import { createCliClient } from "./cli-client.js";
import { bulkCreateCommand, bulkCreateUsage } from "./bulk-create-command.js";
import { callCommand, callUsage } from "./call-command.js";
import type { Command, Io } from "./command.js";
import { printError } from "./error-output.js";
import { parseGlobalFlags } from "./global-flags.js";
import { describeCommand, describeUsage } from "./describe-command.js";
import { healthCommand, healthUsage } from "./health-command.js";
import { listCommand, listUsage } from "./list-command.js";
import { usage } from "./main-usage.js";
import { serveCommand, serveUsage } from "./serve-command.js";
import { syncCommand, syncUsage } from "./sync-command.js";
import { type CliTracing, startClientTracing } from "./trace-flag.js";
import { tourCommand, tourUsage } from "./tour-command.js";
import { EXIT_USAGE, UsageError } from "./usage-error.js";
import {
  createCommand,
  createUsage,
  deleteCommand,
  deleteUsage,
  getCommand,
  getUsage,
  updateCommand,
  updateUsage,
} from "./user-commands.js";
import { watchCommand, watchUsage } from "./watch-command.js";

export { usage };

const commands: Record<string, { run: Command; usage: string }> = {
  get: { run: getCommand, usage: getUsage },
  list: { run: listCommand, usage: listUsage },
  create: { run: createCommand, usage: createUsage },
  update: { run: updateCommand, usage: updateUsage },
  delete: { run: deleteCommand, usage: deleteUsage },
  watch: { run: watchCommand, usage: watchUsage },
  "bulk-create": { run: bulkCreateCommand, usage: bulkCreateUsage },
  sync: { run: syncCommand, usage: syncUsage },
  health: { run: healthCommand, usage: healthUsage },
  // Any service: over reflection, or from --proto / --descriptor-set.
  describe: { run: describeCommand, usage: describeUsage },
  call: { run: callCommand, usage: callUsage },
  // These two start their own server: the global flags do not apply.
  serve: { run: (args, { io }) => serveCommand(args, io), usage: serveUsage },
  tour: { run: (args, { io }) => tourCommand(args, io), usage: tourUsage },
};

/**
 * Runs userctl with `argv` (without node and script) and resolves with the
 * exit status: 0, the gRPC code of a failed call, or one of exit-status.ts.
 */
export async function main(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  process.stdout.once("error", stopOnClosedPipe);
  let json = false;
  let client: CliClient | undefined;
  let tracing: CliTracing | undefined;
  try {
    const { globals, help, command: name, args } = parseGlobalFlags(argv, env);
    json = globals.json;
    if (help || name === "help") {
      io.out(usage);
      return 0;
    }
    if (name === undefined) {
      io.err(usage);
      return EXIT_USAGE;
    }
    const command = commands[name];
    if (!command) throw new UsageError(`unknown command "${name}"`, usage);
    if (globals.trace) tracing = await startClientTracing(io, usage);
    const telemetry = tracing?.interceptor;
    return await command.run(args, { io, globals, connect: () => (client ??= createCliClient(globals, io, telemetry)) });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n\n${e.usage}`);
      return EXIT_USAGE;
    }
    return printError(e, io, json);
  } finally {
    await client?.close();
    // After close: calls still in flight have ended (cancelled), so every span is in the tree.
    tracing?.print();
  }
}

// `userctl list --all | head -1` closes stdout early: stop quietly, as other
// command-line tools do, instead of crashing on EPIPE.
function stopOnClosedPipe(e: NodeJS.ErrnoException): void {
  if (e.code !== "EPIPE") throw e;
  process.exit(0);
}
