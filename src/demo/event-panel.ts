import { UserEventType } from "../../gen/user/v1/user_service_pb.js";
import type { UserClient } from "../users/web.js";
import { describeError } from "./describe-error.js";
import { byId, element } from "./dom.js";

const shown = 50;

/**
 * Streams WatchUsers (server streaming over gRPC-Web or Connect) into the
 * event panel. The client reopens the stream after a failure from the last
 * sequence seen, so the panel neither misses nor repeats an event.
 */
export async function runEventPanel(client: UserClient, signal: AbortSignal, onEvent: () => void): Promise<void> {
  const list = byId("events");
  const state = byId("watch-state");
  state.textContent = "live";
  try {
    const events = client.watchUsers({}, { signal, onResume: () => (state.textContent = "reconnecting…") });
    for await (const event of events) {
      state.textContent = "live";
      const type = (UserEventType[event.type] ?? String(event.type)).replace("USER_EVENT_TYPE_", "");
      const item = element("li", `#${event.sequence} ${type} ${event.user?.email ?? ""}`, { "data-type": type });
      list.prepend(item);
      while (list.children.length > shown) list.lastElementChild?.remove();
      onEvent();
    }
    state.textContent = "ended";
  } catch (err) {
    if (!signal.aborted) state.textContent = describeError("WatchUsers", err);
  }
}
