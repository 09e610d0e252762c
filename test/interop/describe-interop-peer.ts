import type { Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import { interopCases } from "./interop-cases.js";

/** Whether a peer's programs are installed, probed when the test file loads. */
export type PeerReadiness = { ready: true } | { ready: false; reason: string };

/** A started peer: a transport of ours pointed at it, and how to stop it. */
export interface RunningPeer {
  transport: Transport;
  stop(): Promise<void>;
}

/** A TestService server in another gRPC stack that the interop cases run against. */
export interface InteropPeer {
  /** The row of the interop matrix, e.g. "grpc-go TLS". */
  name: string;
  readiness: PeerReadiness;
  /** The command that installs the peer, shown when it is missing. */
  install: string;
  start(): Promise<RunningPeer>;
}

/**
 * Declares one test per interop case against `peer`, in a describe block named
 * after it (the matrix of `npm run test:interop` reads these names). A missing
 * peer is skipped with its reason locally, but fails under CI=true: there a
 * missing peer is a broken pipeline, not a reason to skip.
 */
export function describeInteropPeer(peer: InteropPeer): void {
  describe(peer.name, () => {
    if (!peer.readiness.ready) {
      const why = `${peer.readiness.reason}; install with: ${peer.install}`;
      if (process.env.CI === "true") {
        it("is installed", () => {
          throw new Error(`${peer.name} is missing (${why})`);
        });
      } else {
        describe.skip(`skipped: ${why}`, () => {
          for (const c of interopCases) it(c.name, () => {});
        });
      }
      return;
    }

    // Started once for all cases; a peer that fails to start fails every case
    // with its error, rather than skipping them as a failing beforeAll would.
    let running: Promise<RunningPeer> | undefined;
    beforeAll(() => {
      running = peer.start();
      running.catch(() => {}); // reported by each case
    });
    afterAll(async () => {
      await running?.then(
        (r) => r.stop(),
        () => {},
      );
    });

    for (const c of interopCases) {
      it(c.name, async () => {
        const { transport } = await running!;
        await c.run(transport);
      });
    }
  });
}
