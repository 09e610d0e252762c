import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { CommandContext } from "./command.js";
import { openSchema } from "./schema-flags.js";
import { findService } from "./schema-source.js";

/**
 * `userctl list --services` and `userctl list SERVICE`: the services of the
 * schema, or the methods of one, one per line as `SERVICE/METHOD` (what
 * `userctl call` takes). With --json, one object per line.
 */
export async function listSchema(
  service: string | undefined,
  values: { proto?: string[]; "import-path"?: string; "descriptor-set"?: string[] },
  ctx: CommandContext,
  usage: string,
): Promise<number> {
  const { io, globals } = ctx;
  const schema = await openSchema(values, ctx, usage);
  if (service === undefined) {
    for (const name of await schema.listServices()) io.out(globals.json ? JSON.stringify({ service: name }) : name);
    return 0;
  }
  const desc = findService(await schema.registryFor(service), service);
  for (const m of desc.methods) {
    const path = `${desc.typeName}/${m.name}`;
    io.out(
      globals.json
        ? JSON.stringify({ method: path, kind: m.methodKind, idempotency: MethodOptions_IdempotencyLevel[m.idempotency] })
        : path,
    );
  }
  return 0;
}
