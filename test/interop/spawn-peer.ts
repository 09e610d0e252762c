import { spawn } from "node:child_process";

/** A peer server running in a child process. */
export interface PeerProcess {
  /** The port the peer said it listens on. */
  port: number;
  /** Everything it wrote to stdout and stderr so far, for diagnostics. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** Options for {@link spawnPeer}. */
export interface SpawnPeerOptions {
  /** The program and its arguments. */
  command: string;
  args: string[];
  /** Matches the line the peer prints once it listens; group 1 is the port. */
  listening: RegExp;
  /** Extra environment variables. Defaults to none. */
  env?: Record<string, string>;
  /** How long to wait for `listening`, within vitest's 20 s test timeout. Defaults to 15 seconds. */
  startTimeoutMs?: number;
}

/**
 * Starts a peer server on a port of its choosing (port 0) and resolves once it
 * prints where it listens: no port is guessed, so peers never race for one.
 */
export function spawnPeer(options: SpawnPeerOptions): Promise<PeerProcess> {
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const child = spawn(options.command, options.args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  let output = "";
  let listening = false;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const name = `${options.command} ${options.args.join(" ")}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not listen within ${startTimeoutMs} ms; output: ${output}`));
    }, startTimeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening; output: ${output}`));
    });
    const onData = (chunk: string) => {
      output += chunk;
      if (listening) return;
      const port = options.listening.exec(output)?.[1];
      if (port === undefined) return;
      listening = true;
      clearTimeout(timer);
      resolve({ port: Number(port), output: () => output, stop });
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
  });
}
