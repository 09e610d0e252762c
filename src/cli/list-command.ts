import { parseArgs } from "node:util";
import { ListUsersResponseSchema, UserSchema } from "../../gen/user/v1/user_service_pb.js";
import type { Command } from "./command.js";
import { printMessage, userLine } from "./output.js";
import { help, helpOption, intFlag, positionalArgs, withUsage } from "./parse-flags.js";
import { listSchema } from "./list-schema.js";
import { schemaOptions, schemaUsage } from "./schema-flags.js";
import { UsageError } from "./usage-error.js";

export const listUsage = `usage: userctl [global flags] list [--page-size N] [--page-token T] [--filter F] [--all]
       userctl [global flags] list [schema flags] --services | SERVICE

Lists users in creation order (ListUsers), one page, or every page with --all.
With --json: the ListUsersResponse; with --all, one User message per line.

With --services, lists the server's services instead; with SERVICE, the methods
of that service (any service, not only users) as SERVICE/METHOD, ready for
'userctl call'. With --json, one object per line.

  --page-size N    users per page, 0 to 1000 (0: the server's default, 50)
  --page-token T   the page to show: the next page token of the previous one
  --filter F       space-separated field=value terms, ANDed, over status, role
                   and email, e.g. 'role=admin status=USER_STATUS_ACTIVE'
  --all            follow the page tokens to the end (not with --page-token)
  --services       list the services (from reflection or the schema flags)

${schemaUsage}
  -h, --help       show this help`;

/** `userctl list` */
export const listCommand: Command = async (args, { io, globals, connect }) => {
  const { values, positionals } = withUsage(listUsage, () =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        "page-size": { type: "string" },
        "page-token": { type: "string" },
        filter: { type: "string" },
        all: { type: "boolean", default: false },
        services: { type: "boolean", default: false },
        ...schemaOptions,
        ...helpOption,
      },
    }),
  );
  if (values.help) return help(io.out, listUsage);
  const [service] = positionalArgs(positionals, ["SERVICE?"], listUsage);
  const schemaFlags = values.proto !== undefined || values["descriptor-set"] !== undefined || values["import-path"] !== undefined;
  if (values.services || service !== undefined) {
    if (values.services && service !== undefined) throw new UsageError("give --services or SERVICE, not both", listUsage);
    const userFlags = values["page-size"] ?? values["page-token"] ?? values.filter ?? (values.all ? "--all" : undefined);
    if (userFlags !== undefined) throw new UsageError("--page-size, --page-token, --filter and --all list users only", listUsage);
    return listSchema(service, values, { io, globals, connect }, listUsage);
  }
  if (schemaFlags) throw new UsageError("--proto, --import-path and --descriptor-set need --services or SERVICE", listUsage);
  const pageSize = intFlag(values["page-size"], "--page-size", listUsage, { min: 0, max: 1000 });
  const filter = values.filter ?? "";
  const client = connect();

  if (values.all) {
    if (values["page-token"] !== undefined) throw new UsageError("--all starts at the first page: drop --page-token", listUsage);
    let count = 0;
    for await (const user of client.users.users(filter, { ...client.callOptions, ...(pageSize !== undefined && { pageSize }) })) {
      count++;
      printMessage(io, globals.json, UserSchema, user, () => userLine(user));
    }
    if (!globals.json) io.out(`${count} user${count === 1 ? "" : "s"}`);
    return 0;
  }

  const page = await client.users.listUsers(
    { filter, ...(pageSize !== undefined && { pageSize }), ...(values["page-token"] !== undefined && { pageToken: values["page-token"] }) },
    client.callOptions,
  );
  printMessage(io, globals.json, ListUsersResponseSchema, page, () => [
    ...page.users.map(userLine),
    `${page.users.length} of ${page.totalSize} user${page.totalSize === 1 ? "" : "s"}` +
      (page.nextPageToken === "" ? "" : `; next page: --page-token ${page.nextPageToken}`),
  ]);
  return 0;
};
