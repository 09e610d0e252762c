import { create } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { parseArgs } from "node:util";
import { BulkCreateUsersResponseSchema } from "../../gen/user/v1/user_service_pb.js";
import type { BulkCreateResult, NewUserInput } from "../client/user-client.js";
import type { Command } from "./command.js";
import { type ItemFailure, printItemFailure } from "./error-output.js";
import { EXIT_ITEMS_FAILED } from "./exit-status.js";
import { openInputLines, parseJsonObject } from "./json-lines.js";
import { printMessage } from "./output.js";
import { help, helpOption, positionalArgs, withUsage } from "./parse-flags.js";
import { createProgressBar } from "./progress-bar.js";
import { toNewUser } from "./user-input.js";

export const bulkCreateUsage = `usage: userctl [global flags] bulk-create [FILE|-]

Creates users from JSON lines (BulkCreateUsers, client streaming), read from
FILE or from stdin ("-" or no FILE), one object per line:
  {"email": "ada@example.com", "name": "Ada", "age": 36, "roles": ["admin"]}
("requestId" is accepted too). Blank lines are skipped. A line that is not
valid JSON, or that the server rejects, fails alone: it is reported on stderr
as "line N: <code>: <message>" and the others are still created.

Prints "created N users, M failed" (and a progress bar on a terminal). With
--json: the BulkCreateUsersResponse, whose failures[].index is the 0-based
input line (line number - 1), bad JSON lines included.

exit status: 0 when every item was created, 65 when some failed.

  -h, --help   show this help`;

/** `userctl bulk-create [FILE|-]` */
export const bulkCreateCommand: Command = async (args, { io, globals, connect }) => {
  const { values, positionals } = withUsage(bulkCreateUsage, () =>
    parseArgs({ args, strict: true, allowPositionals: true, options: helpOption }),
  );
  if (values.help) return help(io.out, bulkCreateUsage);
  const [file] = positionalArgs(positionals, ["FILE?"], bulkCreateUsage);
  const input = openInputLines(file, bulkCreateUsage);
  const client = connect();

  const bar = !globals.json && process.stderr.isTTY ? createProgressBar(process.stderr, input.total) : undefined;
  const failures: ItemFailure[] = [];
  const sentLines: number[] = []; // the input line of each item sent, by the server's index
  const items = (async function* (): AsyncGenerator<NewUserInput> {
    for await (const { line, text } of input.lines) {
      let user: NewUserInput;
      try {
        user = toNewUser(parseJsonObject(text));
      } catch (e) {
        const error = ConnectError.from(e);
        failures.push({ line, code: error.code, message: error.rawMessage });
        bar?.update(sentLines.length + failures.length);
        continue;
      }
      sentLines.push(line);
      yield user;
    }
  })();

  let result: BulkCreateResult;
  try {
    result = await client.users.bulkCreateUsers(items, {
      ...client.callOptions,
      onProgress: (sent) => bar?.update(sent + failures.length),
    });
  } finally {
    bar?.finish();
  }
  for (const f of result.failures) {
    failures.push({ line: sentLines[f.index] ?? 0, code: f.code, message: f.message });
  }
  failures.sort((a, b) => a.line - b.line);

  const response = create(BulkCreateUsersResponseSchema, {
    createdCount: result.createdCount,
    userIds: result.userIds,
    failures: failures.map((f) => ({ index: f.line - 1, code: f.code, message: f.message })),
  });
  printMessage(
    io,
    globals.json,
    BulkCreateUsersResponseSchema,
    response,
    () => `created ${result.createdCount} user${result.createdCount === 1 ? "" : "s"}, ${failures.length} failed`,
  );
  for (const f of failures) printItemFailure(io, globals.json, f);
  return failures.length > 0 ? EXIT_ITEMS_FAILED : 0;
};
