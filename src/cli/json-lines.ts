import { Code, ConnectError } from "@connectrpc/connect";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { UsageError } from "./usage-error.js";

/** One non-blank input line and its 1-based number in the input. */
export interface InputLine {
  line: number;
  text: string;
}

/** The lines of an input, and their count when it is known up front (a file). */
export interface InputLines {
  lines: AsyncIterable<InputLine>;
  total: number | undefined;
}

/**
 * Opens FILE, or stdin for "-" or no FILE, as its non-blank lines. A file is
 * read at once (an unreadable one is a UsageError) so its size is known for
 * a progress bar; stdin is streamed, so items go out as they arrive.
 */
export function openInputLines(file: string | undefined, usage: string): InputLines {
  if (file === undefined || file === "-") return { lines: stdinLines(), total: undefined };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`, usage);
  }
  const lines = text
    .split(/\r?\n/)
    .map((line, i) => ({ line: i + 1, text: line }))
    .filter((l) => l.text.trim() !== "");
  return {
    lines: (async function* () {
      yield* lines;
    })(),
    total: lines.length,
  };
}

async function* stdinLines(): AsyncGenerator<InputLine> {
  let line = 0;
  for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    line++;
    if (text.trim() !== "") yield { line, text };
  }
}

/**
 * Parses one line as a JSON object. Throws an InvalidArgument ConnectError
 * saying what is wrong, which fails that item only.
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConnectError(`invalid JSON: ${(e as Error).message}`, Code.InvalidArgument);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConnectError("expected a JSON object", Code.InvalidArgument);
  }
  return value as Record<string, unknown>;
}
