import { create, createFileRegistry, type DescMethod, type DescService, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join } from "node:path";
import type { ReflectionClient } from "./reflection-client.js";
import { UsageError } from "./usage-error.js";

/** Where `list`, `describe` and `call` learn a service's schema: server reflection, or files. */
export interface SchemaSource {
  /** The fully-qualified names of the services, sorted. */
  listServices(): Promise<string[]>;
  /** A registry holding `symbol` (a service, method, message, enum or extension) and all it uses. */
  registryFor(symbol: string): Promise<FileRegistry>;
}

/** A schema from server reflection: each lookup asks the server. */
export function createReflectionSchema(client: ReflectionClient): SchemaSource {
  return {
    async listServices() {
      return (await client.listServices()).sort();
    },
    async registryFor(symbol) {
      return registryOf([...(await client.filesContainingSymbol(symbol)).values()]);
    },
  };
}

/** A schema from files: a FileDescriptorSet or buf image already read. */
export function createFileSchema(registry: FileRegistry): SchemaSource {
  return {
    async listServices() {
      const names: string[] = [];
      for (const desc of registry) if (desc.kind === "service") names.push(desc.typeName);
      return names.sort();
    },
    async registryFor() {
      return registry;
    },
  };
}

/** The schema flags of list, describe and call. */
export interface SchemaFlags {
  /** .proto files, compiled with buf. */
  proto: string[];
  /** The root the --proto files and their imports are relative to. */
  importPath: string | undefined;
  /** Binary FileDescriptorSets or buf images (`buf build -o x.binpb`, `protoc --descriptor_set_out --include_imports`). */
  descriptorSet: string[];
}

/**
 * Reads the schema the flags name, or returns undefined when they name none
 * (the server's reflection is asked then). Unreadable files and .proto files
 * that do not compile are a UsageError.
 */
export async function loadSchemaFiles(flags: SchemaFlags, usage: string): Promise<FileRegistry | undefined> {
  const files: FileDescriptorProto[] = [];
  for (const path of flags.descriptorSet) files.push(...readDescriptorSet(path, usage));
  if (flags.proto.length > 0) files.push(...(await compileProtos(flags.proto, flags.importPath, usage)));
  else if (flags.importPath !== undefined) throw new UsageError("--import-path goes with --proto", usage);
  if (files.length === 0) return undefined;
  try {
    return registryOf(files);
  } catch (e) {
    throw new UsageError(`the schema files do not fit together: ${(e as Error).message}`, usage);
  }
}

/**
 * Finds the method of `SERVICE/METHOD` (also `SERVICE.METHOD`, or with a
 * leading slash, as grpcurl and buf curl write it). NOT_FOUND when the schema lacks it.
 */
export async function findMethod(
  schema: SchemaSource,
  name: string,
  usage: string,
): Promise<{ method: DescMethod; registry: FileRegistry }> {
  const match = /^\/?([A-Za-z_][\w.]*)[/.]([A-Za-z_]\w*)$/.exec(name);
  if (!match) throw new UsageError(`"${name}" is not SERVICE/METHOD (e.g. grpc.testing.TestService/UnaryCall)`, usage);
  const [, serviceName = "", methodName = ""] = match;
  const registry = await schema.registryFor(serviceName);
  const service = findService(registry, serviceName);
  const method = service.methods.find((m) => m.name === methodName);
  if (!method) throw new ConnectError(`service ${serviceName} has no method ${methodName}`, Code.NotFound);
  return { method, registry };
}

/** The service `name` in `registry`, or NOT_FOUND. */
export function findService(registry: FileRegistry, name: string): DescService {
  const service = registry.getService(name);
  if (!service) throw new ConnectError(`service ${name} not found`, Code.NotFound);
  return service;
}

/** A registry of files given in any order: each file comes after what it imports. */
function registryOf(files: FileDescriptorProto[]): FileRegistry {
  const byName = new Map(files.map((f) => [f.name, f]));
  const ordered: FileDescriptorProto[] = [];
  const placed = new Set<string>();
  const place = (file: FileDescriptorProto, path: string[]) => {
    if (placed.has(file.name)) return;
    if (path.includes(file.name)) throw new Error(`import cycle: ${[...path, file.name].join(" -> ")}`);
    for (const dep of file.dependency) {
      const d = byName.get(dep);
      if (!d) throw new Error(`${file.name} imports ${dep}, which is missing`);
      place(d, [...path, file.name]);
    }
    placed.add(file.name);
    ordered.push(file);
  };
  for (const file of files) place(file, []);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
}

function readDescriptorSet(path: string, usage: string): FileDescriptorProto[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`--descriptor-set: cannot read ${path}: ${(e as Error).message}`, usage);
  }
  try {
    // A buf image is a FileDescriptorSet on the wire, with extra fields that are kept as unknown.
    return fromBinary(FileDescriptorSetSchema, bytes).file;
  } catch (e) {
    throw new UsageError(`--descriptor-set: ${path} is not a binary FileDescriptorSet: ${(e as Error).message}`, usage);
  }
}

/** How long buf may take to compile the --proto files. */
const BUF_TIMEOUT_MS = 60_000;

/**
 * Compiles .proto files with buf (the npm package @bufbuild/buf) to an image
 * with every import. With an import path, files are named relative to it, as
 * with protoc's -I; without, buf finds the module from buf.yaml.
 */
async function compileProtos(protos: string[], importPath: string | undefined, usage: string): Promise<FileDescriptorProto[]> {
  let buf: string;
  try {
    buf = createRequire(import.meta.url).resolve("@bufbuild/buf/bin/buf");
  } catch {
    throw new UsageError("--proto needs buf: npm install @bufbuild/buf (or give --descriptor-set)", usage);
  }
  const inputs =
    importPath === undefined
      ? protos.map((p) => [p])
      : // Named relative to the import path, as protoc and grpcurl take them (or as a path that exists).
        [[importPath, ...protos.flatMap((p) => ["--path", !isAbsolute(p) && existsSync(join(importPath, p)) ? join(importPath, p) : p])]];
  const files: FileDescriptorProto[] = [];
  for (const args of inputs) {
    const out = await run(process.execPath, [buf, "build", ...args, "-o", "-#format=binpb"], BUF_TIMEOUT_MS);
    if (out.code !== 0) throw new UsageError(`--proto: buf build failed:\n${out.stderr.trim()}`, usage);
    files.push(...fromBinary(FileDescriptorSetSchema, out.stdout).file);
  }
  return files;
}

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => stdout.push(d));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr }));
  });
}
