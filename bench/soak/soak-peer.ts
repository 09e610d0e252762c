/**
 * The faulty side of the soak, in a process of its own so that its work and
 * heap are not the client's: the reference server with its server-side
 * faults, behind a TCP proxy on loopback that resets, FINs and delays
 * connections on a seeded schedule (one connection-wide fault every so many requests). Started by soak-peer-process.ts with an
 * IPC channel: it sends `{ type: "ready", url }`, then answers
 * `{ type: "stats" }` and `{ type: "quiet" }` (stop injecting faults), and
 * exits on `{ type: "stop" }` or when the channel closes.
 */
import { startTcpProxy } from "../../test/helpers/tcp-proxy.js";
import { createSeededRandom } from "../run/seeded-random.js";
import { type ArmedFault, createSoakServer } from "./soak-server.js";
import type { PeerConfig, PeerMessage, PeerStats } from "./soak-peer-protocol.js";

const config = JSON.parse(process.env.SOAK_PEER_CONFIG ?? "{}") as PeerConfig;
const random = createSeededRandom(config.seed);

type ScheduledFault = "reset" | "fin" | "delay" | ArmedFault;
// Weights of the connection-wide faults: about a third are drops of the whole TCP connection.
const schedule: [ScheduledFault, number][] = [
  ["reset", 25],
  ["fin", 20],
  ["delay", 20],
  ["goaway-graceful", 10],
  ["goaway-error", 10],
  ["drop-after-create", 15],
];
const totalWeight = schedule.reduce((n, [, w]) => n + w, 0);
const scheduled: Record<ScheduledFault, number> = {
  reset: 0,
  fin: 0,
  delay: 0,
  "goaway-graceful": 0,
  "goaway-error": 0,
  "drop-after-create": 0,
};

let proxy: Awaited<ReturnType<typeof startTcpProxy>> | undefined;
const soak = createSoakServer({
  token: config.token,
  seed: config.seed + 1,
  longStallMs: config.longStallMs,
  onRequest: () => onRequest(),
  dropConnection(upstreamPort) {
    proxy
      ?.links()
      .find((l) => l.upstreamPort === upstreamPort)
      ?.reset();
  },
});
const { port } = await soak.server.listen(0, "127.0.0.1");
proxy = await startTcpProxy({ target: { host: "127.0.0.1", port } });

let quiet = false;
// Counted in requests, not time: the share of calls a fault hits is then the
// same on a fast machine and a loaded one.
const nextGap = () => Math.max(1, Math.round(config.connectionFaultEveryRequests * (0.5 + random())));
let countdown = nextGap();
function onRequest(): void {
  if (quiet || --countdown > 0) return;
  countdown = nextGap();
  // After the request that triggered it is on its way: the fault hits the connection, not the hook.
  setImmediate(injectOne);
}
function injectOne(): void {
  if (quiet) return;
  let roll = random() * totalWeight;
  const kind = schedule.find(([, w]) => (roll -= w) < 0)?.[0] ?? "reset";
  // Connections that have carried traffic a while: a fault during the handshake
  // is a connect failure, which the connection tests cover, not a call hit mid-flight.
  const links = proxy!.links().filter((l) => performance.now() - l.openedAtMs >= 100);
  const link = links[Math.floor(random() * links.length)];
  if (kind === "reset" || kind === "fin" || kind === "delay") {
    if (link !== undefined) {
      scheduled[kind]++;
      if (kind === "reset") link.reset();
      else if (kind === "fin") link.finish();
      else link.delay(50 + Math.floor(random() * 450));
    }
  } else {
    scheduled[kind]++;
    soak.arm(kind);
  }
}

function stats(): PeerStats {
  return {
    ...soak.stats(),
    scheduled: { ...scheduled },
    proxyConnectionsOpen: proxy!.connections(),
    openLinks: proxy!.links().map((l) => `client port ${l.clientPort}, open ${Math.round(performance.now() - l.openedAtMs)} ms`),
    proxyAccepted: proxy!.accepted(),
  };
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 3000).unref();
  await proxy!.close();
  await soak.server.close({ graceMs: 0 });
  process.exit(0);
}

process.on("message", (message: PeerMessage) => {
  if (message.type === "stats") process.send!({ type: "stats", stats: stats() });
  else if (message.type === "quiet") {
    quiet = true;
    process.send!({ type: "quiet" });
  } else if (message.type === "stop") void stop();
});
process.on("disconnect", () => void stop());
process.send!({ type: "ready", url: proxy.url });
