import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { codeFromHttpStatus } from "../../../src/node/grpc/http-status-code.js";

describe("codeFromHttpStatus", () => {
  it("maps every row of http-grpc-status-mapping.md", () => {
    const table: [number, Code][] = [
      [400, Code.Internal],
      [401, Code.Unauthenticated],
      [403, Code.PermissionDenied],
      [404, Code.Unimplemented],
      [429, Code.Unavailable],
      [502, Code.Unavailable],
      [503, Code.Unavailable],
      [504, Code.Unavailable],
    ];
    for (const [status, code] of table) expect([status, codeFromHttpStatus(status)]).toEqual([status, code]);
  });

  it("maps 200 and every other status to UNKNOWN", () => {
    for (const status of [100, 200, 204, 301, 405, 413, 415, 431, 500, 505, 0, -1, 999]) {
      expect([status, codeFromHttpStatus(status)]).toEqual([status, Code.Unknown]);
    }
  });
});
