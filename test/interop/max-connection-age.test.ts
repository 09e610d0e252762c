import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Code, ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Health,
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../gen/grpc/health/v1/health_pb.js";
import { createTransport, type NodeTransport } from "../../src/node/index.js";
import { delay } from "../helpers/connection-load.js";
import { type PeerProcess, spawnPeer } from "./spawn-peer.js";

// Issue 12, item 5: a grpc-go server with MaxConnectionAge 300 ms (the usual
// Kubernetes setting) ends every connection with GOAWAY after about 300 ms and
// refuses the streams that race with it (REFUSED_STREAM). gRFC A6 says such
// streams are retried transparently, for any method and with retries off too,
// so a client loses no call to connection churn. grpc-js is the control: it
// lost 0 of 800 against the same server.

/** The grpc-go release the peer is built from; .ci/run builds the same (test/interop/go/max-age-server/go.mod). */
const GRPC_GO_VERSION = "v1.85.0";
const INSTALL = 'go build -C test/interop/go/max-age-server -o "$(go env GOPATH)/bin/grpc-go-max-age-server" .';
const MAX_AGE_MS = 300;

/** The shape of the issue's measurement: 4 loops of 40 unary calls. */
const LOOPS = 4;
const CALLS_PER_LOOP = 40;
/**
 * Each loop runs its calls in concurrent waves, with a short pause between
 * waves and about one connection age between loops (traffic that comes and
 * goes), so the run spans several ages whatever the speed of the calls: the
 * pauses alone add up to 4 x 10 + 3 x 300 = 940 ms. Measured on the
 * connect-node transport with retry: false, a wave that meets a GOAWAY loses
 * every call in it (the streams are refused), here 20 of 160 in 5 of 5 runs.
 */
const WAVE = 20;
const WAVE_PAUSE_MS = 10;
const LOOP_PAUSE_MS = MAX_AGE_MS;

function probe(): { ready: true; binary: string } | { ready: false; reason: string } {
  const env = spawnSync("go", ["env", "GOPATH"], { encoding: "utf8", timeout: 15_000 });
  if (env.status !== 0) return { ready: false, reason: `go is not available (${env.error?.message ?? env.stderr.trim()})` };
  const binary = join(env.stdout.trim().split(":")[0]!, "bin", "grpc-go-max-age-server");
  if (!existsSync(binary)) return { ready: false, reason: `${binary} does not exist` };
  // A stale build must not pass for the pinned grpc-go.
  const built = spawnSync("go", ["version", "-m", binary], { encoding: "utf8", timeout: 15_000 });
  const version = /^\tdep\tgoogle\.golang\.org\/grpc\t(\S+)/m.exec(built.stdout)?.[1];
  if (version !== GRPC_GO_VERSION)
    return { ready: false, reason: `${binary} was built with grpc-go ${version ?? "unknown"}, not ${GRPC_GO_VERSION}` };
  return { ready: true, binary };
}

/** What one run of the loops measured. */
interface ChurnRun {
  ok: number;
  failed: number;
  /** Failures by message, with their counts. */
  errors: Map<string, number>;
  /** TCP connections the server accepted during the run. */
  connections: number;
  ms: number;
}

/** Runs LOOPS loops of CALLS_PER_LOOP calls of `check` against `peer`, in waves; never rejects. */
async function runLoops(peer: PeerProcess, check: () => Promise<void>): Promise<ChurnRun> {
  const connectionsBefore = openedConnections(peer);
  const errors = new Map<string, number>();
  let ok = 0;
  const begin = performance.now();
  for (let loop = 0; loop < LOOPS; loop++) {
    for (let sent = 0; sent < CALLS_PER_LOOP; sent += WAVE) {
      const wave = Array.from({ length: Math.min(WAVE, CALLS_PER_LOOP - sent) }, () => check());
      for (const outcome of await Promise.allSettled(wave)) {
        if (outcome.status === "fulfilled") {
          ok++;
          continue;
        }
        const error = ConnectError.from(outcome.reason);
        const key = `${error.name}: ${error.message}`;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
      if (sent + WAVE < CALLS_PER_LOOP) await delay(WAVE_PAUSE_MS);
    }
    if (loop < LOOPS - 1) await delay(LOOP_PAUSE_MS);
  }
  const failed = [...errors.values()].reduce((a, b) => a + b, 0);
  return { ok, failed, errors, connections: openedConnections(peer) - connectionsBefore, ms: Math.round(performance.now() - begin) };
}

function openedConnections(peer: PeerProcess): number {
  return peer.output().match(/^connection \d+ opened$/gm)?.length ?? 0;
}

function report(name: string, run: ChurnRun): string {
  const errors = [...run.errors].map(([message, n]) => `${n}x ${message}`).join("; ");
  return `${name}: ${run.failed} of ${run.ok + run.failed} calls failed in ${run.ms} ms over ${run.connections} connections${errors ? ` (${errors})` : ""}`;
}

/**
 * The test means something only if connections really churned: the run spans
 * more than three ages, so the server ended at least two connections under it.
 */
function expectChurn(run: ChurnRun): void {
  expect(run.ms).toBeGreaterThan(3 * MAX_AGE_MS);
  expect(run.connections).toBeGreaterThanOrEqual(3);
}

async function ourHealthCheck(transport: NodeTransport): Promise<() => Promise<void>> {
  const health = createClient(Health, transport);
  return async () => {
    const res = await health.check({ service: "" });
    if (res.status !== HealthCheckResponse_ServingStatus.SERVING) throw new Error(`health status ${res.status}, want SERVING`);
  };
}

describe("a grpc-go server with MaxConnectionAge 300 ms", () => {
  const readiness = probe();
  if (!readiness.ready) {
    const why = `${readiness.reason}; build it with: ${INSTALL}`;
    // Under CI=true a missing peer is a broken pipeline, not a reason to skip.
    if (process.env.CI === "true") {
      it("has its peer built", () => {
        throw new Error(`the grpc-go max-age server is missing (${why})`);
      });
    } else {
      it.skip(`skipped: ${why}`, () => {});
    }
    return;
  }

  let peer: PeerProcess;
  beforeAll(async () => {
    peer = await spawnPeer({
      command: readiness.binary,
      args: ["--port", "0", "--max_age_ms", String(MAX_AGE_MS), "--grace_ms", "5000"],
      listening: /max-age server listening on 127\.0\.0\.1:(\d+)/,
    });
  });
  afterAll(async () => {
    await peer?.stop();
  });

  it("loses no Health/Check call of 160 to connection churn, with retries on", async () => {
    const transport = createTransport({ baseUrl: `http://127.0.0.1:${peer.port}` });
    try {
      const run = await runLoops(peer, await ourHealthCheck(transport));
      console.log(report("ours, retries on", run));
      expectChurn(run);
      expect(run.failed, [...run.errors.keys()].join("\n")).toBe(0);
    } finally {
      await transport.close({ graceMs: 0 });
    }
  });

  it("loses no Health/Check call of 160 to connection churn, with retry: false", async () => {
    const transport = createTransport({ baseUrl: `http://127.0.0.1:${peer.port}`, retry: false });
    try {
      const run = await runLoops(peer, await ourHealthCheck(transport));
      console.log(report("ours, retry: false", run));
      expectChurn(run);
      expect(run.failed, [...run.errors.keys()].join("\n")).toBe(0);
    } finally {
      await transport.close({ graceMs: 0 });
    }
  });

  it("is survived by grpc-js, the control, without a lost call", async () => {
    const client = new grpc.Client(`127.0.0.1:${peer.port}`, grpc.credentials.createInsecure());
    const check = () =>
      new Promise<void>((resolve, reject) => {
        client.makeUnaryRequest<HealthCheckRequest, HealthCheckResponse>(
          "/grpc.health.v1.Health/Check",
          (req) => Buffer.from(toBinary(HealthCheckRequestSchema, req)),
          (bytes) => fromBinary(HealthCheckResponseSchema, bytes),
          { $typeName: "grpc.health.v1.HealthCheckRequest", service: "" },
          (error, res) => {
            if (error) reject(new ConnectError(error.details, error.code as number as Code));
            else if (res?.status !== HealthCheckResponse_ServingStatus.SERVING)
              reject(new Error(`health status ${res?.status}, want SERVING`));
            else resolve();
          },
        );
      });
    try {
      const run = await runLoops(peer, check);
      console.log(report("grpc-js", run));
      expectChurn(run);
      expect(run.failed, [...run.errors.keys()].join("\n")).toBe(0);
    } finally {
      client.close();
    }
  });
});
