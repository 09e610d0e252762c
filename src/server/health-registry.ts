import { HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

export { ServingStatus };

/** The serving status of each service a server knows, with change notification. */
export interface HealthRegistry {
  /** The status of `service`, or undefined when the server does not know it. */
  get(service: string): ServingStatus | undefined;
  set(service: string, status: ServingStatus): void;
  /** Every known service with its status. */
  list(): Map<string, ServingStatus>;
  /** Calls `listener(status)` on every change of `service`; returns the unsubscribe function. */
  watch(service: string, listener: (status: ServingStatus) => void): () => void;
  /** Marks every service NOT_SERVING, e.g. when shutdown starts. Later `set` calls are ignored. */
  shutdown(): void;
}

/** A HealthRegistry that starts with `services` SERVING ("" is the server as a whole). */
export function createHealthRegistry(services: string[] = [""]): HealthRegistry {
  const statuses = new Map<string, ServingStatus>(services.map((s) => [s, ServingStatus.SERVING]));
  const listeners = new Map<string, Set<(status: ServingStatus) => void>>();
  let shutDown = false;

  function update(service: string, status: ServingStatus): void {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    for (const listener of listeners.get(service) ?? []) listener(status);
  }

  return {
    get: (service) => statuses.get(service),
    set(service, status) {
      if (!shutDown) update(service, status);
    },
    list: () => new Map(statuses),
    watch(service, listener) {
      let set = listeners.get(service);
      if (!set) listeners.set(service, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(service);
      };
    },
    shutdown() {
      shutDown = true;
      for (const service of statuses.keys()) update(service, ServingStatus.NOT_SERVING);
    },
  };
}
