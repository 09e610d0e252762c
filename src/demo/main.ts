/**
 * The demo web app `userctl serve` serves at `/`: the browser build of this
 * package (gRPC-Web by default, Connect on request) with auth, retry and
 * deadline interceptors, against the server that served the page.
 */
import "./demo.css";
import { createTransportWithConnect, type Protocol } from "../web/index.js";
import { createUserClient } from "../users/web.js";
import { createCreateForm } from "./create-form.js";
import { byId, showStatus } from "./dom.js";
import { runEventPanel } from "./event-panel.js";
import { runHealthIndicator } from "./health-indicator.js";
import { createUsersTable } from "./users-table.js";

const tokenInput = byId<HTMLInputElement>("token");
const protocolSelect = byId<HTMLSelectElement>("protocol");

// `userctl serve` prints the page URL with the token in the fragment, which
// browsers never send to a server; the field can change it later.
const fragment = new URLSearchParams(location.hash.slice(1));
tokenInput.value = fragment.get("token") ?? "";
if (fragment.get("protocol") === "connect") protocolSelect.value = "connect";

let session: AbortController | undefined;

function start(): void {
  session?.abort();
  const current = new AbortController();
  session = current;
  // The demo offers both protocols, so it takes the factory that has Connect too.
  const transport = createTransportWithConnect({
    baseUrl: location.origin,
    protocol: protocolSelect.value as Protocol,
    // Read at each call, so a new token applies without a new client.
    auth: () => tokenInput.value.trim(),
    retry: { maxAttempts: 4, initialBackoffMs: 200, maxBackoffMs: 2_000 },
    timeouts: { noSideEffectsUnaryTimeoutMs: 5_000, unaryTimeoutMs: 10_000 },
  });
  const client = createUserClient(transport);
  const table = createUsersTable(client, current.signal);
  createCreateForm(client, current.signal, () => void table.refresh());
  void table.refresh();
  void runEventPanel(client, current.signal, () => void table.refresh());
  void runHealthIndicator(transport, current.signal);
}

byId<HTMLFormElement>("token-form").onsubmit = (event) => {
  event.preventDefault();
  showStatus("");
  start();
};
start();
