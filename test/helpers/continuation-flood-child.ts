/**
 * A client process for test/node/connection/native-session-guard.test.ts:
 * `node --max-semi-space-size=1 --import tsx continuation-flood-child.ts <calls>`.
 * Makes <calls> Health/Check calls, each on a fresh transport, against a
 * hostile peer that answers with a 200 KB header block in 20 CONTINUATION
 * frames (more than nghttp2 allows, CVE-2024-27983), allocating between
 * calls so that scavenges run all the time. Prints "done <calls> <codes>"
 * (every call's code, counted) and exits 0; a Node.js that aborts in
 * ~Http2Session exits with a signal instead.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { createTransport } from "../../src/node/create-transport.js";
import { encodeHeaderBlock, FrameType, startHostilePeer } from "./hostile-peer.js";

const calls = Number(process.argv[2]);
if (!Number.isInteger(calls) || calls < 1) throw new Error("usage: continuation-flood-child.ts <calls>");

const block = encodeHeaderBlock([
  [":status", "200"],
  ["content-type", "application/grpc"],
  ...Array.from({ length: 10 }, (_, i) => [`x-big-${i}`, "a".repeat(20_000)] as const),
]);
const frameBytes = 10_000;
const peer = await startHostilePeer((c, id) => {
  c.frame(FrameType.HEADERS, 0, id, block.subarray(0, frameBytes));
  for (let at = frameBytes; at < block.length; at += frameBytes)
    c.frame(FrameType.CONTINUATION, at + frameBytes >= block.length ? 0x4 : 0, id, block.subarray(at, at + frameBytes));
});
const codes = new Map<string, number>();
let garbage: unknown[] = [];
for (let i = 0; i < calls; i++) {
  const transport = createTransport({ baseUrl: peer.url, protocol: "grpc", retry: false });
  const code = await createClient(Health, transport)
    .check({}, { timeoutMs: 5_000 })
    .then(
      () => "OK",
      (e: unknown) => Code[ConnectError.from(e).code],
    );
  codes.set(code, (codes.get(code) ?? 0) + 1);
  await transport.close({ graceMs: 0 });
  // Young-generation garbage, so the sessions just closed meet a scavenge soon.
  garbage = Array.from({ length: 20_000 }, (_, j) => ({ j }));
}
void garbage;
await peer.close();
process.stdout.write(`done ${calls} ${[...codes].map(([code, n]) => `${code}:${n}`).join(",")}\n`);
