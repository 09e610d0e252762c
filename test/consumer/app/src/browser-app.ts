// Browser: gRPC-Web over fetch to the page's own origin.
import { createClient } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import { createTransport, NotFoundError } from "userctl-rpc";
import { TodoService } from "./gen/todo/v1/todo_pb.js";

declare global {
  interface Window {
    result?: unknown;
  }
}

async function run(): Promise<unknown> {
  const transport = createTransport({ baseUrl: location.origin });
  const client = createClient(TodoService, transport);
  const { todo } = await client.addTodo({ title: "from chromium" });
  const listed: string[] = [];
  for await (const res of client.listTodos({})) listed.push(res.todo?.title ?? "");
  const e: unknown = new NotFoundError("todo t-0 not found");
  await transport.close();
  return { added: todo?.title, listed, typed: e instanceof NotFoundError && e instanceof ConnectError, state: transport.state() };
}

run().then(
  (result) => (window.result = result),
  (e: unknown) => (window.result = { error: String(e) }),
);
