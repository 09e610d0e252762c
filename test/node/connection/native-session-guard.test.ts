import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CHILD = fileURLToPath(new URL("../../helpers/continuation-flood-child.ts", import.meta.url));

/** Runs the flood child under a 1 MB young generation (a scavenge every few calls); resolves with how it ended. */
function runFloodChild(calls: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--max-semi-space-size=1", "--import", "tsx", CHILD, String(calls)], {
      cwd: fileURLToPath(new URL("../../..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe("a session that nghttp2 ended part-way through a header block", () => {
  // Without the guard, Node.js 20, 22 and 24 abort this child within a few
  // dozen floods: `current_nghttp2_memory_ == 0` in ~Http2Session, during a scavenge.
  it("does not abort the process when the garbage collector frees it: 150 CONTINUATION floods, each call INTERNAL", async () => {
    const r = await runFloodChild(150);
    expect({ code: r.code, signal: r.signal, abort: /Assertion failed.*/.exec(r.stderr)?.[0] }).toEqual({
      code: 0,
      signal: null,
      abort: undefined,
    });
    expect(r.stdout.trim()).toBe("done 150 Internal:150");
  }, 40_000);
});
