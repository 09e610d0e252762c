/**
 * The bench server as its own process (so its cost does not hide the
 * clients'): prints `{"type":"listening","port":N}` on stdout, then serves
 * until its stdin closes (the orchestrator exited, however it died) or SIGTERM.
 */
import { startBenchServer } from "./bench-server.js";

const server = await startBenchServer({ port: Number(process.env.BENCH_SERVER_PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ type: "listening", port: server.port })}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // Bounded: a session that will not close must not keep the process around.
  setTimeout(() => process.exit(0), 2_000).unref();
  void server.close().then(() => process.exit(0));
};
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
