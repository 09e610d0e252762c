/**
 * A client process for exit tests: `node --import tsx connection-child-client.ts <url> <token> <mode>`.
 * It makes a few calls through createTransport, prints "done <ms>" when it is
 * finished with the transport, and then does nothing: the process must exit
 * by itself (there is no process.exit). Modes:
 *
 * - "close": awaits `transport.close()` before printing.
 * - "idle": never closes the transport; its idle connection must not keep the process alive.
 * - "health-idle": as "idle", with `healthCheck: { service: "" }`.
 */
import { createClient } from "@connectrpc/connect";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createTransport } from "../../src/node/create-transport.js";

const [url, token, mode] = process.argv.slice(2);
if (url === undefined || token === undefined || !["close", "idle", "health-idle"].includes(mode ?? "")) {
  throw new Error("usage: connection-child-client.ts <url> <token> close|idle|health-idle");
}
const begin = performance.now();
const transport = createTransport({
  baseUrl: url,
  auth: token,
  ...(mode === "health-idle" && { healthCheck: { service: "" } }),
});
const users = createClient(UserService, transport);
const { user } = await users.createUser({ email: `child-${process.pid}@example.com`, name: "Child" });
await Promise.all(Array.from({ length: 10 }, () => users.getUser({ userId: user!.id })));
if (mode === "close") await transport.close();
process.stdout.write(`done ${Math.round(performance.now() - begin)}\n`);
