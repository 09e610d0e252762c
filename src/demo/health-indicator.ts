import type { Transport } from "@connectrpc/connect";
import { createHealthClient, ServingStatus } from "../web/index.js";
import { byId } from "./dom.js";

/**
 * Keeps the health badge current with the health client's Health.Watch (a
 * server stream it reopens with backoff; UNKNOWN while the server is out of reach).
 */
export async function runHealthIndicator(transport: Transport, signal: AbortSignal): Promise<void> {
  const badge = byId("health");
  const show = (status: string) => {
    badge.dataset.status = status;
    badge.textContent = `health: ${status.toLowerCase().replace("_", " ")}`;
  };
  try {
    for await (const status of createHealthClient(transport).watch("", { signal })) {
      show(ServingStatus[status] ?? "UNKNOWN");
    }
  } catch {
    // The watch only gives up on a server without the health service.
    if (!signal.aborted) show("UNIMPLEMENTED");
  }
}
