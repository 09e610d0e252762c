import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { PeerConfig, PeerReply, PeerStats } from "./soak-peer-protocol.js";

/** The soak peer (soak-peer.ts) running in its own process. */
export interface SoakPeer {
  /** The proxy's URL: the client's baseUrl. */
  readonly url: string;
  stats(): Promise<PeerStats>;
  /** Stops injecting faults, so the end of the run can be measured on a calm network. */
  quiet(): Promise<void>;
  stop(): Promise<void>;
}

const PEER = fileURLToPath(new URL("./soak-peer.ts", import.meta.url));

/** Forks the peer (TypeScript through tsx's loader) and resolves once its proxy listens. */
export function startSoakPeer(config: PeerConfig): Promise<SoakPeer> {
  const child = fork(PEER, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, SOAK_PEER_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "inherit", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`soak peer did not start within 15 s\n${stderr}`));
    }, 15_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`soak peer exited with code ${code} before it was ready\n${stderr}`));
    });
    child.once("message", (message: PeerReply) => {
      clearTimeout(timer);
      if (message.type !== "ready") return reject(new Error(`soak peer said ${JSON.stringify(message)} first`));
      resolve({
        url: message.url,
        stats: () => ask(child, { type: "stats" }, "stats").then((m) => (m as Extract<PeerReply, { type: "stats" }>).stats),
        quiet: () => ask(child, { type: "quiet" }, "quiet").then(() => undefined),
        async stop() {
          if (child.connected) child.send({ type: "stop" });
          const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

function ask(child: ChildProcess, message: object, replyType: PeerReply["type"]): Promise<PeerReply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("message", onMessage);
      reject(new Error(`soak peer did not answer ${JSON.stringify(message)} within 10 s`));
    }, 10_000);
    const onMessage = (reply: PeerReply) => {
      if (reply.type !== replyType) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(reply);
    };
    child.on("message", onMessage);
    child.send(message);
  });
}
