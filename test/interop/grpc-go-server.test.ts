import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createTransport } from "../../src/node/index.js";
import { describeInteropPeer, type InteropPeer, type PeerReadiness } from "./describe-interop-peer.js";
import { spawnPeer } from "./spawn-peer.js";

// Our client runs the standard interop cases against grpc-go's own interop
// server (google.golang.org/grpc/interop/server), over plaintext and over TLS
// with grpc-go's test certificates.

/** The grpc-go release whose interop server we test against; .ci/run installs the same. */
const GRPC_GO_VERSION = "v1.85.0";
const INSTALL = `GOBIN="$(go env GOPATH)/bin/grpc-go-interop" go install google.golang.org/grpc/interop/server@${GRPC_GO_VERSION}`;
/** A name in the SAN of grpc-go's testdata/server1.pem (`*.test.google.fr`). */
const TLS_SERVER_NAME = "foo.test.google.fr";

interface GrpcGo {
  binary: string;
  /** grpc-go's testdata directory in the module cache: ca.pem, server1.pem, server1.key. */
  testdata: string;
}

function probe(): { readiness: PeerReadiness; grpcGo?: GrpcGo } {
  const env = spawnSync("go", ["env", "GOPATH", "GOMODCACHE"], { encoding: "utf8", timeout: 15_000 });
  if (env.status !== 0) return { readiness: { ready: false, reason: `go is not available (${env.error?.message ?? env.stderr.trim()})` } };
  const [gopath = "", modcache = ""] = env.stdout.trim().split("\n");
  const binary = join(gopath.split(":")[0]!, "bin", "grpc-go-interop", "server");
  if (!existsSync(binary)) return { readiness: { ready: false, reason: `${binary} does not exist` } };
  // The binary records the module version it was built from: a stale install must not pass for the pin.
  const built = spawnSync("go", ["version", "-m", binary], { encoding: "utf8", timeout: 15_000 });
  const version = /^\tmod\tgoogle\.golang\.org\/grpc\t(\S+)/m.exec(built.stdout)?.[1];
  if (version !== GRPC_GO_VERSION) {
    return { readiness: { ready: false, reason: `${binary} was built from grpc-go ${version ?? "unknown"}, not ${GRPC_GO_VERSION}` } };
  }
  const testdata = join(modcache, `google.golang.org/grpc@${GRPC_GO_VERSION}`, "testdata");
  if (!existsSync(join(testdata, "ca.pem"))) return { readiness: { ready: false, reason: `${testdata}/ca.pem does not exist` } };
  return { readiness: { ready: true }, grpcGo: { binary, testdata } };
}

const { readiness, grpcGo } = probe();

function grpcGoPeer(tls: boolean): InteropPeer {
  return {
    name: tls ? "grpc-go TLS" : "grpc-go plaintext",
    readiness,
    install: INSTALL,
    async start() {
      const { binary, testdata } = grpcGo!;
      const args = ["--port", "0"];
      if (tls) {
        args.push("--use_tls", "--tls_cert_file", join(testdata, "server1.pem"), "--tls_key_file", join(testdata, "server1.key"));
      }
      const server = await spawnPeer({
        command: binary,
        args,
        // grpc-go logs the port it picked only at INFO.
        env: { GRPC_GO_LOG_SEVERITY_LEVEL: "info" },
        listening: /interop server listening on \S*:(\d+)/,
      });
      const transport = tls
        ? createTransport({
            baseUrl: `https://127.0.0.1:${server.port}`,
            protocol: "grpc",
            ca: readFileSync(join(testdata, "ca.pem")),
            servername: TLS_SERVER_NAME,
          })
        : createTransport({ baseUrl: `http://127.0.0.1:${server.port}`, protocol: "grpc" });
      return { transport, stop: server.stop };
    },
  };
}

describeInteropPeer(grpcGoPeer(false));
describeInteropPeer(grpcGoPeer(true));
