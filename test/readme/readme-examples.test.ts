import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer, TEST_TOKEN } from "../helpers/test-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const workDir = join(root, ".tmp", "readme-examples");

/** The ```ts blocks of README.md, with the package name pointed at the sources. */
function readmeBlocks(): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) =>
    m[1]!
      .replace(/from "userctl-rpc\/gen\/([^"]+)"/g, 'from "../../gen/$1.js"')
      .replace(/from "userctl-rpc\/users\/server"/g, 'from "../../src/users/server.js"')
      .replace(/from "userctl-rpc\/users"/g, 'from "../../src/users/node.js"')
      .replace(/from "userctl-rpc\/(telemetry|server)"/g, 'from "../../src/$1/index.js"')
      .replace(/from "userctl-rpc"/g, 'from "../../src/node/index.js"'),
  );
}

describe("README examples", () => {
  let s: RunningServer;
  const blocks = readmeBlocks();
  beforeAll(async () => {
    s = await startServer();
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    blocks.forEach((code, i) => {
      writeFileSync(join(workDir, `block-${i}.ts`), `${code}\nexport {};\n`);
    });
  });
  afterAll(async () => {
    await s.server.close();
  });

  it("has code blocks to check", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  it("compile under the project's strict settings", () => {
    const files = blocks.map((_, i) => join(workDir, `block-${i}.ts`));
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    // Same strict flags as tsconfig.json; an error prints the file and line.
    execFileSync(
      process.execPath,
      [
        tsc,
        "--noEmit",
        "--strict",
        "--noUncheckedIndexedAccess",
        "--exactOptionalPropertyTypes",
        "--verbatimModuleSyntax",
        "--module",
        "NodeNext",
        "--moduleResolution",
        "NodeNext",
        "--target",
        "ES2022",
        "--lib",
        "ES2022,DOM,DOM.Iterable,ESNext.Disposable",
        "--types",
        "node",
        "--skipLibCheck",
        ...files,
      ],
      { cwd: root, stdio: "pipe" },
    );
  });

  // Asynchronously: the server under test lives in this process and must keep answering.
  it("run against the reference server", async () => {
    for (const [i] of blocks.entries()) {
      const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", join(workDir, `block-${i}.ts`)], {
        cwd: root,
        env: { ...process.env, USERCTL_URL: s.url, USERCTL_TOKEN: TEST_TOKEN },
        encoding: "utf8",
        timeout: 30_000,
      });
      if (i === 0) {
        expect(stdout).toContain("not found: user no-such-id not found");
        expect(stdout).toContain("[ 'email', 'name' ]");
      }
      if (i === 1) expect(stdout).toContain("health status 1");
      if (i === 2) {
        expect(stdout).toContain("user.v1.UserService/GetUser attempt 0\nuser.v1.UserService/GetUser 0\n");
        expect(stdout).toContain("'grpc.client.attempt.duration'");
      }
      if (i === 3) expect(stdout).toContain("kit answered Ada; serves grpc.health.v1.Health, grpc.reflection.v1.ServerReflection");
    }
  });
});
