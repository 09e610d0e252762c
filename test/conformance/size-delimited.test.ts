import { describe, expect, it } from "vitest";
import { readSizeDelimited, writeSizeDelimited } from "./size-delimited.js";

async function* chunks(...parts: number[][]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Uint8Array.from(part);
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<number[][]> {
  const messages: number[][] = [];
  for await (const message of readSizeDelimited(stream)) messages.push([...message]);
  return messages;
}

describe("the conformance runner's size-delimited framing", () => {
  it("prefixes a message with its length as 4 bytes big-endian", () => {
    expect([...writeSizeDelimited(Uint8Array.from([7, 8, 9]))]).toEqual([0, 0, 0, 3, 7, 8, 9]);
    expect([...writeSizeDelimited(new Uint8Array(0))]).toEqual([0, 0, 0, 0]);
  });

  it("reads messages split across chunks and several messages in one chunk", async () => {
    const stream = chunks([0, 0], [0, 2, 1], [2, 0, 0, 0, 0, 0, 0, 0, 1, 5]);
    expect(await readAll(stream)).toEqual([[1, 2], [], [5]]);
  });

  it("reads back what it writes, for a message longer than 255 bytes", async () => {
    const message = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    expect(await readAll(chunks([...writeSizeDelimited(message)]))).toEqual([[...message]]);
  });

  it("fails when the input ends inside a message", async () => {
    await expect(readAll(chunks([0, 0, 0, 3, 1]))).rejects.toThrow("input ended inside a message: 5 bytes left over");
  });
});
