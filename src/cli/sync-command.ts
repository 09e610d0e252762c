import { create } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { parseArgs } from "node:util";
import { SyncUsersResponseSchema } from "../../gen/user/v1/user_service_pb.js";
import type { UserChanges } from "../client/update-mask.js";
import type { Command } from "./command.js";
import { type ItemFailure, printItemFailure } from "./error-output.js";
import { EXIT_ITEMS_FAILED } from "./exit-status.js";
import { openInputLines, parseJsonObject } from "./json-lines.js";
import { printMessage, userLine } from "./output.js";
import { help, helpOption, positionalArgs, withUsage } from "./parse-flags.js";
import { toUserUpdate } from "./user-input.js";

export const syncUsage = `usage: userctl [global flags] sync [FILE|-]

Updates users from JSON lines (SyncUsers, bidirectional streaming), read from
FILE or from stdin ("-" or no FILE), one object per line: the user's "id" and
the fields to change, among email, name, age, roles and status, e.g.
  {"id": "…", "age": 37, "status": "SUSPENDED"}
Blank lines are skipped. Each line is answered as it is applied: "line N:
updated …" on stdout, or "line N: <code>: <message>" on stderr when it fails
(bad JSON included); a failure does not stop the others.

With --json: one SyncUsersResponse per line, whose index is the 0-based input
line (line number - 1), bad JSON lines included (code 3).

exit status: 0 when every line was applied, 65 when some failed.

  -h, --help   show this help`;

/** `userctl sync [FILE|-]` */
export const syncCommand: Command = async (args, { io, globals, connect }) => {
  const { values, positionals } = withUsage(syncUsage, () =>
    parseArgs({ args, strict: true, allowPositionals: true, options: helpOption }),
  );
  if (values.help) return help(io.out, syncUsage);
  const [file] = positionalArgs(positionals, ["FILE?"], syncUsage);
  const input = openInputLines(file, syncUsage);
  const client = connect();

  let failed = 0;
  const fail = (failure: ItemFailure) => {
    failed++;
    if (globals.json) {
      const res = create(SyncUsersResponseSchema, { index: BigInt(failure.line - 1), code: failure.code, message: failure.message });
      printMessage(io, true, SyncUsersResponseSchema, res, () => []);
    }
    printItemFailure(io, globals.json, failure);
  };
  const sentLines: number[] = []; // the input line of each update sent, by the server's index
  const updates = (async function* (): AsyncGenerator<{ userId: string; changes: UserChanges }> {
    for await (const { line, text } of input.lines) {
      let update: { userId: string; changes: UserChanges };
      try {
        update = toUserUpdate(parseJsonObject(text));
      } catch (e) {
        const error = ConnectError.from(e);
        fail({ line, code: error.code, message: error.rawMessage });
        continue;
      }
      sentLines.push(line);
      yield update;
    }
  })();

  for await (const res of client.users.syncUsers(updates, client.callOptions)) {
    const line = sentLines[Number(res.index)] ?? 0;
    if (res.code !== 0) {
      fail({ line, code: res.code, message: res.message });
      continue;
    }
    const answer = create(SyncUsersResponseSchema, { ...res, index: BigInt(line - 1) });
    printMessage(io, globals.json, SyncUsersResponseSchema, answer, () => `line ${line}: updated ${userLine(res.user)}`);
  }
  return failed > 0 ? EXIT_ITEMS_FAILED : 0;
};
