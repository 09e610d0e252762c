import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runTool } from "../../helpers/external-tool.js";

const CHILD = fileURLToPath(new URL("../../helpers/continuation-flood-child.ts", import.meta.url));

/** Runs the flood child under a 1 MB young generation (a scavenge every few calls). */
function runFloodChild(calls: number) {
  return runTool(process.execPath, ["--max-semi-space-size=1", "--import", "tsx", CHILD, String(calls)], { timeoutMs: 30_000 });
}

describe("a session that nghttp2 ended part-way through a header block", () => {
  // Without the guard, Node.js 20, 22 and 24 abort this child within a few
  // dozen floods: `current_nghttp2_memory_ == 0` in ~Http2Session, during a scavenge.
  it("does not abort the process when the garbage collector frees it: 150 CONTINUATION floods, each call INTERNAL", async () => {
    const r = await runFloodChild(150);
    // An abort ends the child by SIGABRT: code null, and the assertion on stderr.
    expect({ code: r.code, abort: /Assertion failed.*/.exec(r.stderr)?.[0] }).toEqual({ code: 0, abort: undefined });
    expect(r.stdout.trim()).toBe("done 150 Internal:150");
  }, 40_000);
});
