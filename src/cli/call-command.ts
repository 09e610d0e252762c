import { type DescMethod, type FileRegistry, fromJson, type JsonValue, type Message, toJson } from "@bufbuild/protobuf";
import { Code, type CallOptions, ConnectError, createClient } from "@connectrpc/connect";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Command } from "./command.js";
import { onInterrupt } from "./interrupt.js";
import { openInputLines, parseJsonObject } from "./json-lines.js";
import { help, helpOption, positionalArgs, withUsage } from "./parse-flags.js";
import { openSchema, schemaOptions, schemaUsage } from "./schema-flags.js";
import { findMethod } from "./schema-source.js";
import { UsageError } from "./usage-error.js";

export const callUsage = `usage: userctl [global flags] call [schema flags] SERVICE/METHOD [JSON | -]

Calls any method of any service, with everything the global flags give (token,
deadline, retries, TLS, headers, --trace). Requests and responses are proto3
JSON. The method's idempotency level decides whether a failed attempt is
retried (NO_SIDE_EFFECTS and IDEMPOTENT are; others only when the server never
saw the call), as for the user commands. Exit status: the gRPC code of a failure.

  unary, server streaming   the request is JSON (default {}), or - to read it from
                            stdin; a server stream prints one JSON line per message
  client streaming, bidi    requests are JSON lines on stdin (or one JSON argument);
                            a bidi stream prints each response as it arrives

${schemaUsage}
  -h, --help            show this help

example:
  userctl --url http://127.0.0.1:50051 call grpc.testing.TestService/UnaryCall '{"responseSize":3}'`;

/** `userctl call SERVICE/METHOD [JSON | -]` */
export const callCommand: Command = async (args, ctx) => {
  const { values, positionals } = withUsage(callUsage, () =>
    parseArgs({ args, strict: true, allowPositionals: true, options: { ...schemaOptions, ...helpOption } }),
  );
  if (values.help) return help(ctx.io.out, callUsage);
  const [name = "", input] = positionalArgs(positionals, ["SERVICE/METHOD", "JSON?"], callUsage);
  const schema = await openSchema(values, ctx, callUsage);
  const { method, registry } = await findMethod(schema, name, callUsage);
  const { io, globals } = ctx;
  const client = ctx.connect();
  const stub = createClient(method.parent, client.transport) as unknown as Record<
    string,
    (input: unknown, options: CallOptions) => unknown
  >;
  const call = stub[method.localName]!;

  // Ctrl-C cancels the call cleanly (the server sees CANCELLED) instead of killing the process.
  const stop = new AbortController();
  const restoreSignals = onInterrupt(() => stop.abort());
  const options: CallOptions = {
    ...client.callOptions,
    signal: AbortSignal.any([stop.signal, client.callOptions.signal]),
  };
  const print = (message: Message, pretty: boolean) => {
    const json = toJson(method.output, message, { registry });
    io.out(pretty && !globals.json ? JSON.stringify(json, null, 2) : JSON.stringify(json));
  };
  try {
    switch (method.methodKind) {
      case "unary":
        print((await call(readOne(method, registry, input), options)) as Message, true);
        break;
      case "server_streaming":
        for await (const m of call(readOne(method, registry, input), options) as AsyncIterable<Message>) print(m, false);
        break;
      case "client_streaming":
        print((await call(readMany(method, registry, input), options)) as Message, true);
        break;
      case "bidi_streaming":
        for await (const m of call(readMany(method, registry, input), options) as AsyncIterable<Message>) print(m, false);
        break;
    }
    return 0;
  } catch (e) {
    // Ctrl-C is how one ends a server or bidi stream, as with watch; a unary or
    // client-streaming call that is interrupted did not complete: CANCELLED.
    const endsByInterrupt = method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
    if (stop.signal.aborted && endsByInterrupt) return 0;
    if (stop.signal.aborted) throw new ConnectError(`${method.name} interrupted`, Code.Canceled);
    throw e;
  } finally {
    restoreSignals();
  }
};

/** The one request of a unary or server-streaming call: the JSON argument, stdin for "-", or {}. */
function readOne(method: DescMethod, registry: FileRegistry, input: string | undefined): Message {
  let text = input ?? "{}";
  if (text === "-") text = readFileSync(0, "utf8");
  let json: JsonValue;
  try {
    json = JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new UsageError(`the request is not JSON: ${(e as Error).message}`, callUsage);
  }
  try {
    return fromJson(method.input, json, { registry });
  } catch (e) {
    throw new UsageError(`the request is not a ${method.input.typeName}: ${(e as Error).message}`, callUsage);
  }
}

/**
 * The requests of a client-streaming or bidi call: one JSON argument, or JSON
 * lines from stdin, sent as they are read. A bad line fails the call with
 * INVALID_ARGUMENT naming the line.
 */
async function* readMany(method: DescMethod, registry: FileRegistry, input: string | undefined): AsyncGenerator<Message> {
  if (input !== undefined && input !== "-") {
    yield readOne(method, registry, input);
    return;
  }
  for await (const { line, text } of openInputLines(undefined, callUsage).lines) {
    let message: Message;
    try {
      message = fromJson(method.input, parseJsonObject(text) as JsonValue, { registry });
    } catch (e) {
      throw new ConnectError(`line ${line}: ${ConnectError.from(e).rawMessage}`, Code.InvalidArgument);
    }
    yield message;
  }
}
