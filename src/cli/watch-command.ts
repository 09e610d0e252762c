import { Code, ConnectError } from "@connectrpc/connect";
import { parseArgs } from "node:util";
import { WatchUsersResponseSchema } from "../../gen/user/v1/user_service_pb.js";
import type { Command } from "./command.js";
import { onInterrupt } from "./interrupt.js";
import { eventLine, printMessage } from "./output.js";
import { help, helpOption, intFlag, positionalArgs, withUsage } from "./parse-flags.js";

export const watchUsage = `usage: userctl [global flags] watch [ID...] [--since SEQ] [--count N]

Streams user change events (WatchUsers), of the given users or of all, until
--count events were printed or SIGINT (both exit 0). A stream that fails
(e.g. the server restarts) is reopened after the last event printed, so none
is lost or printed twice. --timeout ends the watch with deadline_exceeded.
With --json: one WatchUsersResponse per line.

  --since SEQ   start after event sequence SEQ, replaying the retained events
                since (default 0: only events from now on)
  --count N     exit 0 after N events
  -h, --help    show this help`;

/** `userctl watch` */
export const watchCommand: Command = async (args, { io, globals, connect }) => {
  const { values, positionals } = withUsage(watchUsage, () =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { since: { type: "string" }, count: { type: "string" }, ...helpOption },
    }),
  );
  if (values.help) return help(io.out, watchUsage);
  const userIds = positionalArgs(positionals, ["ID..."], watchUsage);
  const since = intFlag(values.since, "--since", watchUsage, { min: 0 }) ?? 0;
  const count = intFlag(values.count, "--count", watchUsage, { min: 1 });
  const client = connect();

  // watchUsers takes no timeoutMs (a resuming stream has no single call to
  // bound), so --timeout is a deadline on the whole watch, kept here.
  const stop = new AbortController();
  let timedOut = false;
  const timer =
    globals.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          stop.abort();
        }, globals.timeoutMs);
  const restoreSignals = onInterrupt(() => stop.abort());
  let printed = 0;
  try {
    const events = client.users.watchUsers(
      { userIds, sinceSequence: BigInt(since) },
      { signal: AbortSignal.any([stop.signal, client.callOptions.signal]) },
    );
    for await (const event of events) {
      printMessage(io, globals.json, WatchUsersResponseSchema, event, () => eventLine(event));
      if (++printed === count) break;
    }
    return 0;
  } catch (e) {
    if (timedOut) throw new ConnectError(`deadline exceeded after ${globals.timeoutMs} ms watching users`, Code.DeadlineExceeded);
    if (stop.signal.aborted) return 0; // interrupted: the stream was cancelled cleanly
    throw e;
  } finally {
    clearTimeout(timer);
    restoreSignals();
  }
};
