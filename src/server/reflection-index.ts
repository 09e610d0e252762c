import type { DescEnum, DescExtension, DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/**
 * What server reflection can look up: the files declaring the registered
 * services and every file they import, transitively, with their symbols.
 */
export interface ReflectionIndex {
  /** The fully-qualified names of the registered services, sorted. */
  services(): string[];
  /** The file with this name, e.g. "user/v1/user_service.proto". */
  fileByName(name: string): DescFile | undefined;
  /** The file declaring a message, enum, service, method, field or extension by full name. */
  fileContainingSymbol(symbol: string): DescFile | undefined;
  /** The file declaring the extension `number` of the message type `extendee`. */
  fileContainingExtension(extendee: string, number: number): DescFile | undefined;
  /** The numbers of the known extensions of `extendee`, or undefined for an unknown message type. */
  extensionNumbers(extendee: string): number[] | undefined;
  /**
   * `file` serialized as a FileDescriptorProto, then each file it imports,
   * transitively, that is not in `sent` (which it adds them to), as grpc-go
   * does: the file asked for always comes first.
   */
  serializeWithDependencies(file: DescFile, sent: Set<string>): Uint8Array[];
}

/** Indexes the files of `services` and of `files` (e.g. extensions to offer), with all their imports. */
export function createReflectionIndex(services: readonly DescService[], files: readonly DescFile[] = []): ReflectionIndex {
  const byName = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const extensions = new Map<string, Map<number, DescFile>>();
  const messages = new Set<string>();
  const serialized = new Map<string, Uint8Array>();

  const addExtension = (ext: DescExtension) => {
    symbols.set(ext.typeName, ext.file);
    let numbers = extensions.get(ext.extendee.typeName);
    if (!numbers) extensions.set(ext.extendee.typeName, (numbers = new Map()));
    numbers.set(ext.number, ext.file);
  };
  const addEnum = (e: DescEnum) => symbols.set(e.typeName, e.file);
  const addMessage = (m: DescMessage) => {
    symbols.set(m.typeName, m.file);
    messages.add(m.typeName);
    for (const field of m.fields) symbols.set(`${m.typeName}.${field.name}`, m.file);
    for (const oneof of m.oneofs) symbols.set(`${m.typeName}.${oneof.name}`, m.file);
    m.nestedMessages.forEach(addMessage);
    m.nestedEnums.forEach(addEnum);
    m.nestedExtensions.forEach(addExtension);
  };
  // Iterative, with a visited set: imports form a DAG that may share files.
  const queue: DescFile[] = [...services.map((s) => s.file), ...files];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (byName.has(file.proto.name)) continue;
    byName.set(file.proto.name, file);
    file.messages.forEach(addMessage);
    file.enums.forEach(addEnum);
    file.extensions.forEach(addExtension);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
    queue.push(...file.dependencies);
  }
  const serviceNames = [...new Set(services.map((s) => s.typeName))].sort();

  const serialize = (file: DescFile) => {
    let bytes = serialized.get(file.proto.name);
    if (!bytes) serialized.set(file.proto.name, (bytes = toBinary(FileDescriptorProtoSchema, file.proto)));
    return bytes;
  };

  return {
    services: () => serviceNames,
    fileByName: (name) => byName.get(name),
    // A leading dot (".pkg.Msg", as in descriptor type references) is accepted too.
    fileContainingSymbol: (symbol) => symbols.get(symbol.replace(/^\./, "")),
    fileContainingExtension: (extendee, number) => extensions.get(extendee.replace(/^\./, ""))?.get(number),
    extensionNumbers(extendee) {
      const name = extendee.replace(/^\./, "");
      if (!messages.has(name)) return undefined;
      return [...(extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
    },
    serializeWithDependencies(file, sent) {
      const out: Uint8Array[] = [];
      const seen = new Set<string>();
      const pending = [file];
      while (pending.length > 0) {
        const next = pending.shift()!;
        if (seen.has(next.proto.name)) continue;
        seen.add(next.proto.name);
        if (out.length === 0 || !sent.has(next.proto.name)) out.push(serialize(next));
        sent.add(next.proto.name);
        pending.push(...next.dependencies);
      }
      return out;
    },
  };
}
