import { parseArgs } from "node:util";
import {
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
} from "../../gen/grpc/health/v1/health_pb.js";
import type { Command, CommandContext } from "./command.js";
import { EXIT_NOT_SERVING } from "./exit-status.js";
import { onInterrupt } from "./interrupt.js";
import { printMessage } from "./output.js";
import { help, helpOption, positionalArgs, withUsage } from "./parse-flags.js";

export const healthUsage = `usage: userctl [global flags] health [SERVICE] [--watch]

Asks the server's health (grpc.health.v1.Health/Check) of SERVICE, e.g.
user.v1.UserService, or of the whole server when SERVICE is omitted, and
prints the status. With --json: the HealthCheckResponse.

  --watch      Health/Watch: print the status and each change, until SIGINT
               or the stream ends
  -h, --help   show this help

exit status: 0 when SERVING; 2 when NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN;
5 (not_found) when Check does not know SERVICE. With --watch the last status
printed decides; a stream that fails exits with its gRPC code.`;

/** `userctl health` */
export const healthCommand: Command = async (args, ctx) => {
  const { values, positionals } = withUsage(healthUsage, () =>
    parseArgs({ args, strict: true, allowPositionals: true, options: { watch: { type: "boolean", default: false }, ...helpOption } }),
  );
  if (values.help) return help(ctx.io.out, healthUsage);
  const [service = ""] = positionalArgs(positionals, ["SERVICE?"], healthUsage);
  const client = ctx.connect();
  if (!values.watch) {
    const res = await client.health.check({ service }, client.callOptions);
    print(ctx, res);
    return exitStatus(res.status);
  }

  const stop = new AbortController();
  const restoreSignals = onInterrupt(() => stop.abort());
  let last: ServingStatus = ServingStatus.UNKNOWN;
  try {
    const stream = client.health.watch(
      { service },
      { ...client.callOptions, signal: AbortSignal.any([stop.signal, client.callOptions.signal]) },
    );
    for await (const res of stream) {
      print(ctx, res);
      last = res.status;
    }
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  } finally {
    restoreSignals();
  }
  return exitStatus(last);
};

function print({ io, globals }: CommandContext, res: HealthCheckResponse): void {
  printMessage(io, globals.json, HealthCheckResponseSchema, res, () => ServingStatus[res.status] ?? String(res.status));
}

function exitStatus(status: ServingStatus): number {
  return status === ServingStatus.SERVING ? 0 : EXIT_NOT_SERVING;
}
