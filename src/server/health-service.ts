import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { createAsyncQueue } from "./async-queue.js";
import { type HealthRegistry, ServingStatus } from "./health-registry.js";

/** Most services List answers with before it says RESOURCE_EXHAUSTED (gRFC A90). */
const MAX_LISTED_SERVICES = 100;

/** The grpc.health.v1.Health handlers (Check, List per gRFC A90, Watch) over a registry. */
export function createHealthService(registry: HealthRegistry): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = registry.get(req.service);
      if (status === undefined) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      return { status };
    },

    list() {
      const all = registry.list();
      if (all.size > MAX_LISTED_SERVICES) {
        throw new ConnectError(`too many services to list (${all.size})`, Code.ResourceExhausted);
      }
      return { statuses: Object.fromEntries([...all].map(([name, status]) => [name, { status }])) };
    },

    async *watch(req, context) {
      const queue = createAsyncQueue<ServingStatus>();
      const unwatch = registry.watch(req.service, (status) => queue.push(status));
      try {
        // Per the health protocol, an unknown service is reported, not refused:
        // it may be registered later.
        let last = registry.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
        yield { status: last };
        for (;;) {
          const status = await queue.take(context.signal);
          if (status === undefined) throw ConnectError.from(context.signal.reason, Code.Canceled);
          if (status !== last) yield { status: (last = status) };
        }
      } finally {
        unwatch();
      }
    },
  };
}
