import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnPeer, type PeerProcess } from "../interop/spawn-peer.js";
import { goTool, itWithTool } from "../helpers/external-tool.js";
import { type KitTestServer, startKitTestServer } from "../helpers/kit-test-service.js";
import { runUserctl, type Run, USERCTL } from "../helpers/spawn-userctl.js";
import type { RunningServer } from "../helpers/test-server.js";
import { createRpcServer } from "../../src/server/index.js";
import { expectExit, failFirst, jsonLines, startCliServer, stall, userctl } from "./cli-test-kit.js";

// userctl list/describe/call for a service that is not users: over server
// reflection against our own server kit, and from .proto files against
// grpc-go's interop server, which has no reflection (issue 16).

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const PROTO_ROOT = join(REPO, "proto");
const BUF = join(REPO, "node_modules", ".bin", "buf");
const KIT_TOKEN = "kit-token";
const TS = "grpc.testing.TestService";

/** Runs `userctl --url URL [--token T] ...args` against any server. */
function run(url: string, args: string[], options: { input?: string; token?: string } = {}): Promise<Run> {
  return runUserctl(["--url", url, ...(options.token === undefined ? [] : ["--token", options.token]), ...args], {
    ...(options.input !== undefined && { input: options.input }),
    env: { USERCTL_URL: "", USERCTL_TOKEN: "" },
  });
}

describe("userctl for any service, over server reflection (TestService on the server kit)", () => {
  let kit: KitTestServer;
  beforeAll(async () => {
    kit = await startKitTestServer({ token: KIT_TOKEN });
  });
  afterAll(() => kit.server.close({ graceMs: 0 }));
  const call = (args: string[], input?: string) =>
    run(kit.url, ["call", ...args], { token: KIT_TOKEN, ...(input !== undefined && { input }) });

  it("lists the services, and a service's methods as SERVICE/METHOD, without a token", async () => {
    const services = await run(kit.url, ["list", "--services"]);
    expectExit(services, 0);
    expect(services.stdout).toBe(
      "grpc.health.v1.Health\ngrpc.reflection.v1.ServerReflection\ngrpc.reflection.v1alpha.ServerReflection\ngrpc.testing.TestService\n",
    );
    const methods = await run(kit.url, ["--json", "list", TS]);
    expectExit(methods, 0);
    expect(jsonLines(methods.stdout)).toContainEqual({
      method: `${TS}/FullDuplexCall`,
      kind: "bidi_streaming",
      idempotency: "IDEMPOTENCY_UNKNOWN",
    });
  });

  it("describes a service, a method and a message, and --json gives the descriptor", async () => {
    const service = await run(kit.url, ["describe", TS]);
    expectExit(service, 0);
    expect(service.stdout.split("\n")).toEqual(
      expect.arrayContaining([
        `service ${TS} (grpc/testing/test.proto)`,
        "  rpc StreamingInputCall(stream grpc.testing.StreamingInputCallRequest) returns (grpc.testing.StreamingInputCallResponse);",
      ]),
    );
    const method = await run(kit.url, ["describe", `${TS}/StreamingOutputCall`]);
    expect(method.stdout).toContain("returns (stream grpc.testing.StreamingOutputCallResponse);");
    const message = await run(kit.url, ["describe", "grpc.testing.SimpleRequest"]);
    expect(message.stdout).toContain("  grpc.testing.EchoStatus response_status = 7;");
    const json = await run(kit.url, ["--json", "describe", "grpc.testing.Payload"]);
    expect(jsonLines(json.stdout)[0]).toMatchObject({
      name: "Payload",
      field: expect.arrayContaining([expect.objectContaining({ name: "body", number: 2 })]),
    });
  });

  it("calls a unary method with a JSON argument, or with - from stdin", async () => {
    const unary = await call(["--", `${TS}/UnaryCall`, '{"responseSize":3,"fillUsername":true}']);
    expectExit(unary, 0);
    expect(JSON.parse(unary.stdout)).toEqual({ payload: { body: "AAAA" }, username: "kit-user" });
    const stdin = await call([`${TS}/UnaryCall`, "-"], '{"responseSize":1}');
    expect(JSON.parse(stdin.stdout)).toEqual({ payload: { body: "AA==" } });
  });

  it("prints one JSON line per message of a server stream", async () => {
    const stream = await call([`${TS}/StreamingOutputCall`, '{"responseParameters":[{"size":1},{"size":2},{"size":0}]}']);
    expectExit(stream, 0);
    expect(stream.stdout).toBe('{"payload":{"body":"AA=="}}\n{"payload":{"body":"AAA="}}\n{"payload":{}}\n');
  });

  it("sends JSON lines from stdin on a client stream and a bidi stream", async () => {
    const upload = await call([`${TS}/StreamingInputCall`], '{"payload":{"body":"AAA="}}\n\n{"payload":{"body":"AAAA"}}\n');
    expectExit(upload, 0);
    expect(JSON.parse(upload.stdout)).toEqual({ aggregatedPayloadSize: 5 });
    const bidi = await call(
      [`${TS}/FullDuplexCall`],
      '{"responseParameters":[{"size":1}]}\n{"responseParameters":[{"size":2},{"size":3}]}\n',
    );
    expectExit(bidi, 0);
    expect(jsonLines(bidi.stdout)).toEqual([{ payload: { body: "AA==" } }, { payload: { body: "AAA=" } }, { payload: { body: "AAAA" } }]);
  });

  it("exits with the gRPC code and prints the error's details as JSON", async () => {
    const failed = await call(["--", `${TS}/UnaryCall`, '{"responseStatus":{"code":3,"message":"size too big"}}']);
    expectExit(failed, 3);
    expect(failed.stderr).toContain("error: invalid_argument: size too big");
    expect(failed.stderr).toContain("  response_status: size too big");
    const json = await run(kit.url, ["--json", "call", `${TS}/UnaryCall`, '{"responseStatus":{"code":3,"message":"size too big"}}'], {
      token: KIT_TOKEN,
    });
    expectExit(json, 3);
    expect(JSON.parse(json.stderr)).toEqual({
      error: {
        code: "invalid_argument",
        message: "size too big",
        details: [{ type: "google.rpc.BadRequest", fieldViolations: [{ field: "response_status", description: "size too big" }] }],
      },
    });
    const stream = await call([
      `${TS}/StreamingOutputCall`,
      '{"responseParameters":[{"size":1}],"responseStatus":{"code":9,"message":"later"}}',
    ]);
    expectExit(stream, 9);
    expect(stream.stdout).toBe('{"payload":{"body":"AA=="}}\n');
  });

  it("needs the token for the call but not for reflection: UNAUTHENTICATED exits 16", async () => {
    const denied = await run(kit.url, ["call", `${TS}/EmptyCall`]);
    expectExit(denied, 16);
    expect(denied.stderr).toContain("error: unauthenticated: invalid token");
  });

  it("refuses what the schema lacks (NOT_FOUND, 5), bad request JSON (usage, 64), and a bad stream line (INVALID_ARGUMENT, 3)", async () => {
    expectExit(await call([`${TS}/NoSuchCall`]), 5);
    expectExit(await call(["no.Such/Call"]), 5);
    const badJson = await call([`${TS}/UnaryCall`, "{nope"]);
    expectExit(badJson, 64);
    expect(badJson.stderr).toContain("the request is not JSON");
    const badField = await call([`${TS}/UnaryCall`, '{"noSuchField":1}']);
    expectExit(badField, 64);
    expect(badField.stderr).toContain("the request is not a grpc.testing.SimpleRequest");
    const badLine = await call([`${TS}/StreamingInputCall`], '{"payload":{}}\n[1]\n');
    expectExit(badLine, 3);
    expect(badLine.stderr).toContain("line 2: expected a JSON object");
  });

  it("ends a bidi stream cleanly on SIGINT (exit 0) after printing what arrived", async () => {
    const child = spawn(process.execPath, [USERCTL, "--url", kit.url, "--token", KIT_TOKEN, "call", `${TS}/FullDuplexCall`], {
      env: { ...process.env, USERCTL_URL: "", USERCTL_TOKEN: "" },
      timeout: 20_000,
    });
    let stdout = "";
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const firstLine = new Promise<void>((resolve) =>
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes("\n")) resolve();
      }),
    );
    // stdin stays open: the stream would go on until interrupted.
    child.stdin.write('{"responseParameters":[{"size":1}]}\n');
    await firstLine;
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stdout).toBe('{"payload":{"body":"AA=="}}\n');
  });

  it("says how to give the schema when the server has no reflection (UNIMPLEMENTED, 12)", async () => {
    const bare = createRpcServer({ reflection: false });
    const { url } = await bare.listen();
    try {
      const r = await run(url, ["list", "--services"]);
      expectExit(r, 12);
      expect(r.stderr).toContain("the server has no gRPC server reflection: give the schema with --proto FILE");
    } finally {
      await bare.close({ graceMs: 0 });
    }
  });
});

describe("userctl call retries by the method's idempotency level and keeps the deadline (UserService over reflection)", () => {
  let s: RunningServer | undefined;
  afterAll(async () => {
    await s?.server.close();
  });

  it("retries a NO_SIDE_EFFECTS method after UNAVAILABLE and announces each retry", async () => {
    s = await startCliServer([failFirst("GetUser", 2), failFirst("DeleteUser", 1)]);
    const created = await userctl(s, ["--json", "call", "user.v1.UserService/CreateUser", '{"email":"any@example.com","name":"Any"}']);
    expectExit(created, 0);
    const id = (jsonLines(created.stdout)[0] as { user: { id: string } }).user.id;
    const got = await userctl(s, ["call", "user.v1.UserService/GetUser", JSON.stringify({ userId: id })]);
    expectExit(got, 0);
    expect(JSON.parse(got.stdout)).toMatchObject({ user: { id, email: "any@example.com" } });
    expect(got.stderr).toMatch(/^retrying GetUser \(attempt 2\/4\) after unavailable in \d+ ms\nretrying GetUser \(attempt 3\/4\)/);
    await s.server.close();
  });

  it("does not retry a method without an idempotency level, and --timeout bounds a call (DEADLINE_EXCEEDED, 4)", async () => {
    s = await startCliServer([failFirst("UpdateUser", 1), stall("ListUsers")]);
    const update = await userctl(s, ["call", "user.v1.UserService/UpdateUser", '{"user":{"id":"x"},"updateMask":"name"}']);
    expectExit(update, 14);
    expect(update.stderr).not.toContain("retrying");
    const slow = await userctl(s, ["--timeout", "300", "call", "user.v1.UserService/ListUsers"]);
    expectExit(slow, 4);
    await s.server.close();
  });
});

const GRPC_GO_VERSION = "v1.85.0";
const interopServer = goTool(
  "server",
  `GOBIN="$(go env GOPATH)/bin/grpc-go-interop" go install google.golang.org/grpc/interop/server@${GRPC_GO_VERSION}`,
  "grpc-go-interop",
);

describe("userctl for a foreign server without reflection: grpc-go's interop server, schema from --proto", () => {
  let peer: PeerProcess | undefined;
  let url = "";
  beforeAll(async () => {
    if (interopServer.path === undefined) return;
    peer = await spawnPeer({
      command: interopServer.path,
      args: ["--port", "0"],
      env: { GRPC_GO_LOG_SEVERITY_LEVEL: "info" },
      listening: /interop server listening on \S*:(\d+)/,
    });
    url = `http://127.0.0.1:${peer.port}`;
  });
  afterAll(() => peer?.stop());
  const schema = ["--import-path", PROTO_ROOT, "--proto", "grpc/testing/test.proto"];
  const call = (method: string, args: string[], input?: string) =>
    run(url, ["call", ...schema, `${TS}/${method}`, ...args], input === undefined ? {} : { input });

  itWithTool(interopServer, "lists and describes from the .proto files", async () => {
    const services = await run(url, ["list", "--services", ...schema]);
    expectExit(services, 0);
    expect(services.stdout.split("\n")).toEqual(expect.arrayContaining([TS, "grpc.testing.UnimplementedService"]));
    const described = await run(url, ["describe", "--proto", join(PROTO_ROOT, "grpc/testing/test.proto"), `${TS}.HalfDuplexCall`]);
    expectExit(described, 0);
    expect(described.stdout).toContain(
      "rpc HalfDuplexCall(stream grpc.testing.StreamingOutputCallRequest) returns (stream grpc.testing.StreamingOutputCallResponse);",
    );
  });

  itWithTool(interopServer, "calls all four shapes", async () => {
    const unary = await call("UnaryCall", ['{"responseSize":2}']);
    expectExit(unary, 0);
    expect(JSON.parse(unary.stdout)).toEqual({ payload: { body: "AAA=" } });
    const down = await call("StreamingOutputCall", ['{"responseParameters":[{"size":1},{"size":3}]}']);
    expectExit(down, 0);
    expect(down.stdout).toBe('{"payload":{"body":"AA=="}}\n{"payload":{"body":"AAAA"}}\n');
    const up = await call("StreamingInputCall", [], '{"payload":{"body":"AAAA"}}\n{"payload":{"body":"AA=="}}\n');
    expectExit(up, 0);
    expect(JSON.parse(up.stdout)).toEqual({ aggregatedPayloadSize: 4 });
    const bidi = await call("FullDuplexCall", [], '{"responseParameters":[{"size":1}]}\n{"responseParameters":[{"size":2}]}\n');
    expectExit(bidi, 0);
    expect(jsonLines(bidi.stdout)).toEqual([{ payload: { body: "AA==" } }, { payload: { body: "AAA=" } }]);
  });

  itWithTool(interopServer, "exits with the status grpc-go sends, and 12 for its unimplemented method", async () => {
    const failed = await call("UnaryCall", ['{"responseStatus":{"code":7,"message":"no way"}}']);
    expectExit(failed, 7);
    expect(failed.stderr).toContain("error: permission_denied: no way");
    expectExit(await call("UnimplementedCall", []), 12);
  });

  itWithTool(interopServer, "takes the schema from a descriptor set (a buf image) as well", async () => {
    const dir = mkdtempSync(join(tmpdir(), "userctl-descriptor-set-"));
    try {
      const image = join(dir, "test.binpb");
      execFileSync(BUF, ["build", PROTO_ROOT, "--path", join(PROTO_ROOT, "grpc/testing/test.proto"), "-o", image], { cwd: REPO });
      const methods = await run(url, ["list", "--descriptor-set", image, TS]);
      expectExit(methods, 0);
      expect(methods.stdout.split("\n")).toContain(`${TS}/StreamingInputCall`);
      const empty = await run(url, ["call", "--descriptor-set", image, `${TS}/EmptyCall`]);
      expectExit(empty, 0);
      expect(empty.stdout).toBe("{}\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  itWithTool(interopServer, "without --proto, says the server has no reflection", async () => {
    const r = await run(url, ["call", `${TS}/EmptyCall`]);
    expectExit(r, 12);
    expect(r.stderr).toContain("no gRPC server reflection");
  });
});
