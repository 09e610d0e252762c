import type { FileRegistry } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { parseArgs } from "node:util";
import type { Command } from "./command.js";
import { type Describable, describeJson, describeText } from "./describe-format.js";
import { help, helpOption, positionalArgs, withUsage } from "./parse-flags.js";
import { openSchema, schemaOptions, schemaUsage } from "./schema-flags.js";

export const describeUsage = `usage: userctl [global flags] describe [schema flags] SYMBOL

Shows a service (its methods, with streaming shape and idempotency level), a
method (SERVICE/METHOD or SERVICE.METHOD), a message, an enum or an extension,
of any service: from the server's reflection, or from --proto / --descriptor-set.
With --json: its descriptor (ServiceDescriptorProto, DescriptorProto, ...) as JSON.

${schemaUsage}
  -h, --help            show this help`;

/** `userctl describe SYMBOL` */
export const describeCommand: Command = async (args, ctx) => {
  const { values, positionals } = withUsage(describeUsage, () =>
    parseArgs({ args, strict: true, allowPositionals: true, options: { ...schemaOptions, ...helpOption } }),
  );
  if (values.help) return help(ctx.io.out, describeUsage);
  const [symbol = ""] = positionalArgs(positionals, ["SYMBOL"], describeUsage);
  const name = symbol.replace(/^\./, "").replace("/", ".");
  const schema = await openSchema(values, ctx, describeUsage);
  const registry = await schema.registryFor(name);
  const desc = lookup(registry, name);
  if (ctx.globals.json) ctx.io.out(JSON.stringify(describeJson(desc)));
  else for (const line of describeText(desc)) ctx.io.out(line);
  return 0;
};

/** The symbol `name` in the registry: a type or service, or else a method of a service. */
function lookup(registry: FileRegistry, name: string): Describable {
  const desc = registry.get(name);
  if (desc) return desc;
  const dot = name.lastIndexOf(".");
  const method = registry.getService(name.slice(0, dot))?.methods.find((m) => m.name === name.slice(dot + 1));
  if (method) return method;
  throw new ConnectError(`symbol ${name} not found`, Code.NotFound);
}
