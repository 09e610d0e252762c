import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import { HealthCheckResponse_ServingStatus as ServingStatus, HealthCheckResponseSchema } from "../../gen/grpc/health/v1/health_pb.js";
import { UsageError } from "./usage-error.js";
import type { Command, CommandContext } from "./command.js";
import { EXIT_NOT_SERVING } from "./exit-status.js";
import { onInterrupt } from "./interrupt.js";
import { printMessage } from "./output.js";
import { help, helpOption, positionalArgs, withUsage } from "./parse-flags.js";

export const healthUsage = `usage: userctl [global flags] health [SERVICE] [--watch | --wait]

Asks the server's health (grpc.health.v1.Health/Check) of SERVICE, e.g.
user.v1.UserService, or of the whole server when SERVICE is omitted, and
prints the status. With --json: the HealthCheckResponse.

  --watch      Health/Watch: print the status and each change until SIGINT;
               a broken stream is reopened with backoff (UNKNOWN meanwhile)
  --wait       wait until SERVING (bounded by --timeout), e.g. in a start script
  -h, --help   show this help

exit status: 0 when SERVING; 2 when NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN;
5 (not_found) when Check does not know SERVICE; 4 (deadline_exceeded) when
--wait runs out of --timeout. With --watch the last status printed decides.`;

/** `userctl health` */
export const healthCommand: Command = async (args, ctx) => {
  const { values, positionals } = withUsage(healthUsage, () =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { watch: { type: "boolean", default: false }, wait: { type: "boolean", default: false }, ...helpOption },
    }),
  );
  if (values.help) return help(ctx.io.out, healthUsage);
  if (values.watch && values.wait) throw new UsageError("--watch and --wait exclude each other", healthUsage);
  const [service = ""] = positionalArgs(positionals, ["SERVICE?"], healthUsage);
  const client = ctx.connect();
  const { signal, timeoutMs } = client.callOptions;
  if (values.wait) {
    await client.health.waitForReady({ service, signal, ...(timeoutMs !== undefined && { timeoutMs }) });
    print(ctx, ServingStatus.SERVING);
    return 0;
  }
  if (!values.watch) {
    const status = await client.health.check(service, { signal, ...(timeoutMs !== undefined && { timeoutMs }) });
    print(ctx, status);
    return exitStatus(status);
  }

  const stop = new AbortController();
  const restoreSignals = onInterrupt(() => stop.abort());
  let last: ServingStatus = ServingStatus.UNKNOWN;
  try {
    for await (const status of client.health.watch(service, { signal: AbortSignal.any([stop.signal, signal]) })) {
      print(ctx, status);
      last = status;
    }
  } finally {
    restoreSignals();
  }
  return exitStatus(last);
};

function print({ io, globals }: CommandContext, status: ServingStatus): void {
  printMessage(
    io,
    globals.json,
    HealthCheckResponseSchema,
    create(HealthCheckResponseSchema, { status }),
    () => ServingStatus[status] ?? String(status),
  );
}

function exitStatus(status: ServingStatus): number {
  return status === ServingStatus.SERVING ? 0 : EXIT_NOT_SERVING;
}
