// Node: the library's defaults (gRPC over HTTP/2) on a service it has never
// seen, with the Node-only surface a Node app uses.
import { createClient } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import { type ConnectivityState, createTransport, DeadlineExceededError, NotFoundError, withDeadline } from "userctl-rpc";
import { TodoService } from "./gen/todo/v1/todo_pb.js";

const transport = createTransport({ baseUrl: process.argv[2]!, retry: { retryMethods: [TodoService.method.listTodos] } });
const client = createClient(TodoService, transport);
const { todo } = await withDeadline(5_000, () => client.addTodo({ title: "from node" }));
const listed: string[] = [];
for await (const res of client.listTodos({})) listed.push(res.todo?.title ?? "");
const state: ConnectivityState = transport.state();
const endpoints = transport.endpoints().length;
// One typed error hierarchy, one ConnectError: both narrowings hold.
const e: unknown = new NotFoundError("todo t-0 not found");
const typed = e instanceof NotFoundError && e instanceof ConnectError && !(e instanceof DeadlineExceededError);
await transport.close({ graceMs: 1_000 });
console.log(JSON.stringify({ added: todo?.title, listed, state, endpoints, typed, after: transport.state() }));
