import type { CommandContext } from "./command.js";
import { createReflectionClient } from "./reflection-client.js";
import { createFileSchema, createReflectionSchema, loadSchemaFiles, type SchemaSource } from "./schema-source.js";

/** The parseArgs options of the commands that work for any service: where the schema comes from. */
export const schemaOptions = {
  proto: { type: "string", multiple: true },
  "import-path": { type: "string" },
  "descriptor-set": { type: "string", multiple: true },
} as const;

/** The usage lines of {@link schemaOptions}. */
export const schemaUsage = `schema (default: the server's gRPC reflection, v1 or else v1alpha):
  --proto F             a .proto file (repeatable), compiled with buf
  --import-path DIR     the root --proto files and their imports are relative to
                        (default: the buf.yaml module they are in)
  --descriptor-set F    a binary FileDescriptorSet or buf image (repeatable), e.g.
                        from 'buf build -o F' or 'protoc --include_imports -o F'`;

/** The schema the flags give, or else the server's reflection, over the global flags' transport. */
export async function openSchema(
  values: { proto?: string[]; "import-path"?: string; "descriptor-set"?: string[] },
  ctx: CommandContext,
  usage: string,
): Promise<SchemaSource> {
  const files = await loadSchemaFiles(
    { proto: values.proto ?? [], importPath: values["import-path"], descriptorSet: values["descriptor-set"] ?? [] },
    usage,
  );
  if (files) return createFileSchema(files);
  const client = ctx.connect();
  return createReflectionSchema(createReflectionClient(client.transport, client.callOptions));
}
