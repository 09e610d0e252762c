import { create } from "@bufbuild/protobuf";
import { parseArgs } from "node:util";
import {
  CreateUserResponseSchema,
  DeleteUserResponseSchema,
  GetUserResponseSchema,
  UpdateUserResponseSchema,
} from "../../gen/user/v1/user_service_pb.js";
import type { UserChanges } from "../client/update-mask.js";
import type { Command } from "./command.js";
import { printMessage, userBlock } from "./output.js";
import { help, helpOption, intFlag, positionalArgs, withUsage } from "./parse-flags.js";
import { UsageError } from "./usage-error.js";
import { parseStatus, STATUS_NAMES } from "./user-fields.js";

export const getUsage = `usage: userctl [global flags] get ID

Shows one user (GetUser). With --json: the GetUserResponse.`;

export const createUsage = `usage: userctl [global flags] create --email E --name N [--age A] [--role R]... [--request-id ID]

Creates a user (CreateUser). With --json: the CreateUserResponse.

  --email E         email address (required)
  --name N          display name (required)
  --age A           age in years
  --role R          a role, repeatable
  --request-id ID   idempotency key: the same ID never creates twice (default: a fresh UUID)
  -h, --help        show this help`;

export const updateUsage = `usage: userctl [global flags] update ID [--email E] [--name N] [--age A] [--role R]... [--status S]

Changes the given fields of a user, and only those (UpdateUser with an
update_mask). With --json: the UpdateUserResponse.

  --email E    new email address
  --name N     new display name
  --age A      new age
  --role R     the new roles (replace the old ones), repeatable
  --status S   ${STATUS_NAMES}, any case
  -h, --help   show this help`;

export const deleteUsage = `usage: userctl [global flags] delete ID

Deletes a user (DeleteUser). With --json: {} (the DeleteUserResponse).`;

const int32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** `userctl get ID` */
export const getCommand: Command = async (args, { io, globals, connect }) => {
  const { values, positionals } = withUsage(getUsage, () => parseArgs({ args, strict: true, allowPositionals: true, options: helpOption }));
  if (values.help) return help(io.out, getUsage);
  const [id] = positionalArgs(positionals, ["ID"], getUsage) as [string];
  const client = connect();
  const user = await client.users.getUser(id, client.callOptions);
  printMessage(io, globals.json, GetUserResponseSchema, create(GetUserResponseSchema, { user }), () => userBlock(user));
  return 0;
};

/** The user fields `create` and `update` both take. */
const userFieldFlags = {
  email: { type: "string" },
  name: { type: "string" },
  age: { type: "string" },
  role: { type: "string", multiple: true },
} as const;

/** `userctl create --email E --name N ...` */
export const createCommand: Command = async (args, { io, globals, connect }) => {
  const { values, positionals } = withUsage(createUsage, () =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        ...userFieldFlags,
        "request-id": { type: "string" },
        ...helpOption,
      },
    }),
  );
  if (values.help) return help(io.out, createUsage);
  positionalArgs(positionals, [], createUsage);
  if (values.email === undefined) throw new UsageError("--email is required", createUsage);
  if (values.name === undefined) throw new UsageError("--name is required", createUsage);
  const age = intFlag(values.age, "--age", createUsage, int32);
  const client = connect();
  const user = await client.users.createUser(
    {
      email: values.email,
      name: values.name,
      ...(age !== undefined && { age }),
      ...(values.role !== undefined && { roles: values.role }),
      ...(values["request-id"] !== undefined && { requestId: values["request-id"] }),
    },
    client.callOptions,
  );
  printMessage(io, globals.json, CreateUserResponseSchema, create(CreateUserResponseSchema, { user }), () => userBlock(user));
  return 0;
};

/** `userctl update ID [--email E] ...` */
export const updateCommand: Command = async (args, { io, globals, connect }) => {
  const { values, positionals } = withUsage(updateUsage, () =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        ...userFieldFlags,
        status: { type: "string" },
        ...helpOption,
      },
    }),
  );
  if (values.help) return help(io.out, updateUsage);
  const [id] = positionalArgs(positionals, ["ID"], updateUsage) as [string];
  const age = intFlag(values.age, "--age", updateUsage, int32);
  const status = values.status === undefined ? undefined : parseStatus(values.status);
  if (values.status !== undefined && status === undefined) {
    throw new UsageError(`--status must be ${STATUS_NAMES}, got "${values.status}"`, updateUsage);
  }
  const changes: UserChanges = {
    ...(values.email !== undefined && { email: values.email }),
    ...(values.name !== undefined && { name: values.name }),
    ...(age !== undefined && { age }),
    ...(values.role !== undefined && { roles: values.role }),
    ...(status !== undefined && { status }),
  };
  if (Object.keys(changes).length === 0) {
    throw new UsageError("nothing to change: give --email, --name, --age, --role or --status", updateUsage);
  }
  const client = connect();
  const user = await client.users.updateUser(id, changes, client.callOptions);
  printMessage(io, globals.json, UpdateUserResponseSchema, create(UpdateUserResponseSchema, { user }), () => userBlock(user));
  return 0;
};

/** `userctl delete ID` */
export const deleteCommand: Command = async (args, { io, globals, connect }) => {
  const { values, positionals } = withUsage(deleteUsage, () =>
    parseArgs({ args, strict: true, allowPositionals: true, options: helpOption }),
  );
  if (values.help) return help(io.out, deleteUsage);
  const [id] = positionalArgs(positionals, ["ID"], deleteUsage) as [string];
  const client = connect();
  await client.users.deleteUser(id, client.callOptions);
  printMessage(io, globals.json, DeleteUserResponseSchema, create(DeleteUserResponseSchema), () => `deleted user ${id}`);
  return 0;
};
