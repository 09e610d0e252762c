import * as http2 from "node:http2";
import { PATHS } from "../protocol/bench-messages.js";

/**
 * Asks the bench server, over a connection of the harness's own (not the
 * measured stack's), to end every held WatchUsers stream with grpc-status 0.
 */
export async function releaseHeldStreams(baseUrl: string): Promise<void> {
  const session = http2.connect(baseUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once("error", reject);
      const stream = session.request({ ":method": "POST", ":path": PATHS.releaseHeld, "content-type": "application/grpc", te: "trailers" });
      let status: unknown;
      stream.on("trailers", (trailers) => (status = trailers["grpc-status"]));
      stream.on("data", () => {});
      stream.on("error", reject);
      stream.on("close", () => (status === "0" ? resolve() : reject(new Error(`ReleaseHeld ended with grpc-status ${String(status)}`))));
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  } finally {
    session.close();
  }
}
