import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTransport } from "../../src/node/index.js";
import { describeInteropPeer, type InteropPeer, type PeerReadiness } from "./describe-interop-peer.js";
import { spawnPeer } from "./spawn-peer.js";

// Our client runs the standard interop cases against the Ruby interop server
// of the grpc gem (gRPC C-core underneath), as Debian's ruby-grpc ships it,
// over plaintext and over TLS with the gem's test certificates.

const WRAPPER = fileURLToPath(new URL("./ruby/interop_server.rb", import.meta.url));
const INSTALL = "apt-get install -y ruby-grpc";
/** A name in the SAN of the gem's spec/testdata/server1.pem (`*.test.google.fr`). */
const TLS_SERVER_NAME = "foo.test.google.fr";

/** The gem's src/ruby directory (pb/test/server.rb, spec/testdata/), or why Ruby's grpc cannot run. */
function probe(): { readiness: PeerReadiness; rubySrc?: string } {
  const gem = spawnSync("ruby", ["-e", "require 'grpc'; print File.join(Gem::Specification.find_by_name('grpc').gem_dir, 'src/ruby')"], {
    encoding: "utf8",
    timeout: 15_000,
  });
  if (gem.status !== 0) {
    const why = gem.error?.message ?? gem.stderr.trim().split("\n").at(-1) ?? `exit status ${gem.status}`;
    return { readiness: { ready: false, reason: `ruby cannot require grpc (${why})` } };
  }
  const rubySrc = gem.stdout;
  for (const file of ["pb/test/server.rb", "spec/testdata/ca.pem"]) {
    if (!existsSync(join(rubySrc, file))) return { readiness: { ready: false, reason: `the grpc gem lacks ${file}` } };
  }
  return { readiness: { ready: true }, rubySrc };
}

const { readiness, rubySrc } = probe();

function rubyPeer(tls: boolean): InteropPeer {
  return {
    name: tls ? "ruby TLS" : "ruby plaintext",
    readiness,
    install: INSTALL,
    async start() {
      const server = await spawnPeer({
        command: "ruby",
        args: [WRAPPER, "--port", "0", "--use_tls", String(tls)],
        listening: /ruby interop server listening on \S*:(\d+)/,
      });
      const transport = tls
        ? createTransport({
            baseUrl: `https://127.0.0.1:${server.port}`,
            protocol: "grpc",
            ca: readFileSync(join(rubySrc!, "spec/testdata/ca.pem")),
            servername: TLS_SERVER_NAME,
          })
        : createTransport({ baseUrl: `http://127.0.0.1:${server.port}`, protocol: "grpc" });
      return { transport, stop: server.stop };
    },
  };
}

describeInteropPeer(rubyPeer(false));
describeInteropPeer(rubyPeer(true));
