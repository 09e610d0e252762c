// The consumer's own server on connect-node: HTTP/2 without TLS for the Node
// client's default gRPC, HTTP/1.1 for the browser (gRPC-Web) and its page.
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { type Todo, TodoSchema, TodoService } from "./gen/todo/v1/todo_pb.js";

const todos: Todo[] = [];
const routes = (router: ConnectRouter) =>
  router.service(TodoService, {
    addTodo(req) {
      const todo = create(TodoSchema, { id: `t-${todos.length + 1}`, title: req.title });
      todos.push(todo);
      return { todo };
    },
    async *listTodos() {
      for (const todo of todos) yield { todo };
    },
  });

const page = `<!doctype html><html><head><script type="module" src="/app.js"></script></head><body></body></html>`;
const rpc = connectNodeAdapter({ routes });
const h1 = http.createServer((req, res) => {
  if (req.url === "/") return void res.writeHead(200, { "content-type": "text/html" }).end(page);
  if (req.url === "/app.js")
    return void res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(process.argv[2] ?? "dist/app.js"));
  rpc(req, res);
});
const h2 = http2.createServer(rpc);
await new Promise<void>((resolve) => h1.listen(0, "127.0.0.1", resolve));
await new Promise<void>((resolve) => h2.listen(0, "127.0.0.1", resolve));
// One line the test driver reads: where each listener is.
console.log(
  JSON.stringify({
    h1: `http://127.0.0.1:${(h1.address() as AddressInfo).port}`,
    h2: `http://127.0.0.1:${(h2.address() as AddressInfo).port}`,
  }),
);
process.on("SIGTERM", () => {
  h1.close();
  h2.close();
  process.exit(0);
});
