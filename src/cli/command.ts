import type { CliClient } from "./cli-client.js";
import type { GlobalFlags } from "./global-flags.js";

/** Where a command writes: one call per line, the newline added by the caller of main(). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** What a command gets besides its own arguments. */
export interface CommandContext {
  io: Io;
  /** The global flags given before the command. */
  globals: GlobalFlags;
  /** The client for the target of the global flags, created on first use and closed by main(). */
  connect(): CliClient;
}

/** A userctl command: runs with its arguments and resolves with the exit status. */
export type Command = (args: string[], ctx: CommandContext) => Promise<number>;
