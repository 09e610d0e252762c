import { ConnectError } from "@connectrpc/connect";
import { serveCommand, serveUsage } from "./serve-command.js";
import { tourCommand, tourUsage } from "./tour-command.js";
import { EXIT_USAGE, UsageError } from "./usage-error.js";

export const usage = `usage: userctl COMMAND [args]

commands:
  serve    run the reference UserService server (gRPC, gRPC-Web, Connect on one port)
  tour     start a server in-process and walk every RPC (what npm start runs)

Run 'userctl COMMAND --help' for a command's flags.`;

type Io = { out: (s: string) => void; err: (s: string) => void };
type Command = (args: string[], io: Io) => Promise<number>;

const commands: Record<string, { run: Command; usage: string }> = {
  serve: { run: serveCommand, usage: serveUsage },
  tour: { run: tourCommand, usage: tourUsage },
};

/** Runs userctl with `argv` (without node and script) and resolves with the exit status. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    (name === undefined ? io.err : io.out)(usage);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = commands[name];
  if (!command) {
    io.err(`error: unknown command "${name}"\n\n${usage}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n\n${e.usage}`);
      return EXIT_USAGE;
    }
    const error = ConnectError.from(e);
    io.err(`error: ${error.message}`);
    return error.code;
  }
}
