import * as net from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { createTransport, type NodeTransport } from "../../src/node/create-transport.js";

/**
 * Issue 13 item 6: over HTTP/1.1 (connect-node's gRPC-Web and Connect
 * transports), a server or proxy that answers before reading the request body
 * and hangs up must give its status, not "write EPIPE". A raw TCP server
 * writes the response as soon as the request headers are in, then closes
 * (FIN) or resets (RST, as a close with unread data does) while the client is
 * still sending the body.
 */

const servers: net.Server[] = [];
const transports: NodeTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close({ graceMs: 0 })));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function earlyAnswerServer(status: string, hangUp: "end" | "destroy"): Promise<string> {
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    let head = "";
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      socket.write(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: 4\r\nconnection: close\r\n\r\nnope`);
      if (hangUp === "destroy") socket.destroy();
      else socket.end();
    };
    socket.on("data", onData);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe("an HTTP/1.1 server that answers before reading the body and hangs up", () => {
  for (const protocol of ["connect", "grpc-web"] as const) {
    for (const hangUp of ["end", "destroy"] as const) {
      for (const [status, code] of [
        ["401 Unauthorized", Code.Unauthenticated],
        ["404 Not Found", Code.Unimplemented],
        ["413 Payload Too Large", Code.Unknown],
      ] as const) {
        it(`gives ${Code[code]} for ${status} over ${protocol} (${hangUp === "end" ? "FIN" : "RST"}), for a small and a 4 MB request`, async () => {
          const url = await earlyAnswerServer(status, hangUp);
          const transport = createTransport({ baseUrl: url, protocol, httpVersion: "1.1", retry: false });
          transports.push(transport);
          const client = createClient(Health, transport);
          for (const size of [10, 4_000_000]) {
            const error = await client.check({ service: "x".repeat(size) }, { timeoutMs: 5_000 }).then(
              () => undefined,
              (e: unknown) => ConnectError.from(e),
            );
            expect([size, error?.code === undefined ? "OK" : Code[error.code], error?.rawMessage]).toEqual([
              size,
              Code[code],
              expect.stringMatching(/HTTP 4\d\d/),
            ]);
          }
        });
      }
    }
  }
});
