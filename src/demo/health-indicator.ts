import { createClient, type Transport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { byId } from "./dom.js";

/**
 * Keeps the health badge current with Health.Watch (a server stream), and
 * reopens the stream with a growing pause when the server cannot be reached.
 */
export async function runHealthIndicator(transport: Transport, signal: AbortSignal): Promise<void> {
  const badge = byId("health");
  const health = createClient(Health, transport);
  const show = (status: string) => {
    badge.dataset["status"] = status;
    badge.textContent = `health: ${status.toLowerCase().replace("_", " ")}`;
  };
  let pauseMs = 500;
  while (!signal.aborted) {
    try {
      for await (const response of health.watch({ service: "" }, { signal })) {
        show(HealthCheckResponse_ServingStatus[response.status] ?? "UNKNOWN");
        pauseMs = 500;
      }
    } catch {
      if (signal.aborted) return;
      show("UNREACHABLE");
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(pauseMs * 2, 10_000);
  }
}
