import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { parseArgs } from "node:util";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { type User, UserEventType, UserStatus } from "../../gen/user/v1/user_service_pb.js";
import { TypedConnectError } from "../errors/typed-errors.js";
import { createTransport } from "../node/index.js";
import { createUserClient } from "../users/node.js";
import { createFailFirstInterceptor } from "../server/fail-first-interceptor.js";
import { createUserServiceServer } from "../server/user-service-server.js";
import { formatRetry } from "./cli-client.js";
import type { Io } from "./command.js";
import { withUsage } from "./parse-flags.js";

export const tourUsage = `usage: userctl tour

Starts the reference server in-process on a free loopback port and walks every
UserService RPC over gRPC (HTTP/2) with the library's client, printing what
happens at each step: a retry recovering from an injected failure, typed
errors, and health going NOT_SERVING at shutdown.`;

/** `userctl tour` (npm start): a guided walk through every RPC against a real server. */
export async function tourCommand(args: string[], io: Io): Promise<number> {
  const { values } = withUsage(tourUsage, () =>
    parseArgs({ args, strict: true, options: { help: { type: "boolean", short: "h", default: false } } }),
  );
  if (values.help) {
    io.out(tourUsage);
    return 0;
  }
  const server = createUserServiceServer({ graceMs: 1000, interceptors: [createFailFirstInterceptor({ methods: ["ListUsers"] })] });
  const { url } = await server.listen(0, "127.0.0.1");
  let n = 0;
  const step = (title: string) => io.out(`\n${++n}. ${title}`);
  const show = (label: string, value: string) => io.out(`   ${label.padEnd(15)} ${value}`);
  const brief = (u: User | undefined) =>
    u ? `${u.name} <${u.email}> id=${u.id.slice(0, 8)}… status=${UserStatus[u.status]} roles=[${u.roles.join(",")}]` : "(none)";

  // The same stack userctl's other commands use: typed errors, deadline, retries, auth.
  const transport = createTransport({
    baseUrl: url,
    auth: server.token!,
    retry: { onRetry: (event) => show("retry", formatRetry(event)) },
  });
  const users = createUserClient(transport);
  const anonymous = createUserClient({ baseUrl: url });
  const health = createClient(Health, transport);
  const callOptions = { timeoutMs: 5000 };

  try {
    io.out(`userctl tour: reference server on ${url} (gRPC over HTTP/2; gRPC-Web and Connect on the same port)`);

    step("Health/Check: is the server up?");
    const { status } = await health.check({ service: "" }, callOptions);
    show("status", HealthCheckResponse_ServingStatus[status]);

    step("CreateUser ×3 (public method; the request_id makes a retried create safe)");
    const created: User[] = [];
    for (const [name, email, roles] of [
      ["Ada Lovelace", "ada@example.com", ["admin"]],
      ["Grace Hopper", "grace@example.com", ["dev"]],
      ["Alan Turing", "alan@example.com", ["dev", "admin"]],
    ] as const) {
      const user = await users.createUser({ name, email, roles: [...roles], age: 36, requestId: `tour-${email}` }, callOptions);
      created.push(user);
      show("created", brief(user));
    }
    const [ada, grace, alan] = created as [User, User, User];
    const again = await users.createUser(
      { name: "Ada Lovelace", email: "ada@example.com", requestId: "tour-ada@example.com" },
      callOptions,
    );
    show("replayed", `same request_id → same user (${again.id === ada.id ? "no duplicate" : "DUPLICATE"})`);

    step("GetUser");
    show("got", brief(await users.getUser(grace.id, callOptions)));

    step("ListUsers, two pages of 2 (opaque page_token); the server fails the first attempt, the client retries");
    const first = await users.listUsers({ pageSize: 2 }, callOptions);
    show("page 1", `${first.users.map((u) => u.name).join(", ")} (total ${first.totalSize})`);
    const second = await users.listUsers({ pageSize: 2, pageToken: first.nextPageToken }, callOptions);
    show("page 2", `${second.users.map((u) => u.name).join(", ")} (last page: ${second.nextPageToken === "" ? "yes" : "no"})`);
    const admins = await users.listUsers({ filter: "role=admin status=USER_STATUS_ACTIVE" }, callOptions);
    show("filter", `role=admin status=USER_STATUS_ACTIVE → ${admins.users.map((u) => u.name).join(", ")}`);

    step("WatchUsers (server streaming, resumes after failures) while UpdateUser changes two users (update_mask)");
    const watch = new AbortController();
    const seen: string[] = [];
    // Three creates made sequences 1–3; resume after them so no event is missed.
    const watching = (async () => {
      for await (const event of users.watchUsers({ sinceSequence: 3n }, { signal: watch.signal })) {
        seen.push(`#${event.sequence} ${UserEventType[event.type]} ${event.user?.name}`);
        show("event", seen[seen.length - 1]!);
        if (seen.length === 2) watch.abort();
      }
    })().catch((e: unknown) => {
      if (ConnectError.from(e).code !== Code.Canceled) throw e;
    });
    show("updated", brief(await users.updateUser(alan.id, { name: "Alan M. Turing", status: UserStatus.INACTIVE }, callOptions)));
    await users.updateUser(grace.id, { roles: ["dev", "admiral"] }, callOptions);
    await watching;
    show("watch", `received ${seen.length} events, then cancelled the stream`);

    step("BulkCreateUsers (client streaming), one invalid item");
    const bulk = await users.bulkCreateUsers(
      [
        { name: "Edsger Dijkstra", email: "edsger@example.com" },
        { name: "Nobody", email: "not-an-email" },
        { name: "Barbara Liskov", email: "barbara@example.com" },
      ],
      callOptions,
    );
    show("created", `${bulk.createdCount} users`);
    for (const f of bulk.failures) show("failure", `item ${f.index}: ${Code[f.code]}: ${f.message}`);

    step("SyncUsers (bidirectional streaming): one response per request, in order");
    const updates = [
      { userId: ada.id, changes: { age: 37 } },
      { userId: "no-such-user", changes: { age: 1 } },
    ];
    for await (const res of users.syncUsers(updates, callOptions)) {
      show(`#${res.index}`, res.code === 0 ? `ok → ${brief(res.user)} age=${res.user?.age}` : `${Code[res.code]}: ${res.message}`);
    }

    step("DeleteUser");
    await users.deleteUser(grace.id, callOptions);
    show("deleted", grace.name);

    step("Typed errors: one class per code (e instanceof NotFoundError), with the server's details decoded");
    for (const attempt of [
      () => users.getUser(grace.id, callOptions),
      () => users.createUser({ name: "", email: `ada@${"x".repeat(260)}` }, callOptions),
      () => anonymous.listUsers({}, callOptions),
    ]) {
      try {
        await attempt();
        show("error", "none?!");
      } catch (e) {
        if (!(e instanceof TypedConnectError)) throw e;
        show(Code[e.code], `${e.constructor.name}: ${e.rawMessage}`);
        for (const v of e.fieldViolations) show("fieldViolation", `${v.field}: ${v.description}`);
      }
    }

    step("Health/Watch sees NOT_SERVING when the server shuts down");
    const healthWatch = health.watch({ service: "user.v1.UserService" }, { signal: AbortSignal.timeout(5000) });
    const statuses: string[] = [];
    const watched = (async () => {
      try {
        for await (const r of healthWatch) {
          statuses.push(HealthCheckResponse_ServingStatus[r.status]);
          if (statuses.length === 1) void server.close();
        }
      } catch (e) {
        statuses.push(`stream ended: ${Code[ConnectError.from(e).code]}`);
      }
    })();
    await watched;
    show("statuses", statuses.join(" → "));
    io.out(`\ntour complete: every RPC answered over gRPC. Also try: npx userctl-rpc serve`);
    return 0;
  } finally {
    await Promise.all([users.close(), anonymous.close()]);
    await server.close();
  }
}
