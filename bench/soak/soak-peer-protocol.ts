import type { SoakServerStats } from "./soak-server.js";

/** What the soak tells its peer process (in SOAK_PEER_CONFIG, as JSON). */
export interface PeerConfig {
  /** Bearer token the server requires. */
  token: string;
  /** Seeds the fault schedule and the per-attempt fault choices. */
  seed: number;
  /** Mean number of UserService requests between two connection-wide faults (reset, FIN, delay, GOAWAY, drop after a create). */
  connectionFaultEveryRequests: number;
  /** How long a long stall holds an attempt: past the client's deadline. */
  longStallMs: number;
}

/** Messages to the peer. */
export type PeerMessage = { type: "stats" } | { type: "quiet" } | { type: "stop" };

/** The peer's figures: the server's, the connection faults it injected, and what its proxy still holds. */
export interface PeerStats extends SoakServerStats {
  /** Connection-wide faults injected, by kind (armed ones count once fired or not: see `fired`). */
  scheduled: Record<"reset" | "fin" | "delay" | "goaway-graceful" | "goaway-error" | "drop-after-create", number>;
  /** Client connections the proxy still holds open. */
  proxyConnectionsOpen: number;
  /** The client connections the proxy holds, for finding a leak. */
  openLinks: string[];
  /** Client connections the proxy accepted in all. */
  proxyAccepted: number;
}

/** Messages from the peer. */
export type PeerReply = { type: "ready"; url: string } | { type: "stats"; stats: PeerStats } | { type: "quiet" };
