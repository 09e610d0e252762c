/**
 * A client under test for the Connect conformance runner
 * (`connectconformance --mode client`), making every call through our own
 * `createTransport` with its full interceptor stack.
 *
 * Reads size-delimited ClientCompatRequest messages from stdin, makes each
 * call (up to `--concurrency` at once; the runner matches answers by test
 * name, not by order), and writes one size-delimited ClientCompatResponse per
 * request to stdout. Once stdin has ended and every answer is written, it
 * closes its transports and ends on its own.
 *
 *     tsx test/conformance/conformance-client.ts --runtime node|web [--concurrency 8]
 *
 * `--runtime node` uses src/node/create-transport.ts; `--runtime web` uses the
 * browser build, src/web/create-transport.ts, on Node's fetch.
 */
import { parseArgs } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type ClientCompatRequest,
  ClientCompatRequestSchema,
  type ClientCompatResponse,
  ClientCompatResponseSchema,
  ClientErrorResultSchema,
} from "../../gen/connectrpc/conformance/v1/client_compat_pb.js";
import { type ConformanceRuntime, type ConformanceTransportCache, createConformanceTransportCache } from "./conformance-transport.js";
import { invokeConformanceCall } from "./invoke-conformance-call.js";
import { readSizeDelimited, writeSizeDelimited } from "./size-delimited.js";

const { values: flags } = parseArgs({
  options: {
    runtime: { type: "string", default: "node" },
    concurrency: { type: "string", default: "8" },
  },
});
const runtime = flags.runtime;
if (runtime !== "node" && runtime !== "web") {
  throw new Error(`--runtime must be "node" or "web", got "${runtime}"`);
}
const concurrency = Number(flags.concurrency);
if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
  throw new Error(`--concurrency must be a positive integer, got "${flags.concurrency}"`);
}

await main(runtime, concurrency);

async function main(runtime: ConformanceRuntime, concurrency: number): Promise<void> {
  const transports = createConformanceTransportCache(runtime);
  const inFlight = new Set<Promise<void>>();
  for await (const bytes of readSizeDelimited(process.stdin)) {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const req = fromBinary(ClientCompatRequestSchema, bytes);
    const task = answer(req, transports).then(write);
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }
  await Promise.all(inFlight);
  // Every call has ended: closing the Node transports frees their
  // connections, so the process can end on its own.
  await transports.close();
}

async function answer(req: ClientCompatRequest, transports: ConformanceTransportCache): Promise<ClientCompatResponse> {
  const res = create(ClientCompatResponseSchema, { testName: req.testName });
  try {
    const result = await invokeConformanceCall(transports.transportFor(req), req);
    res.result = { case: "response", value: result };
  } catch (e) {
    // Only a case this client cannot attempt lands here; a failed RPC is a result.
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    res.result = { case: "error", value: create(ClientErrorResultSchema, { message }) };
  }
  return res;
}

function write(res: ClientCompatResponse): Promise<void> {
  const framed = writeSizeDelimited(toBinary(ClientCompatResponseSchema, res));
  return new Promise((resolve, reject) => {
    process.stdout.write(framed, (err) => (err ? reject(err) : resolve()));
  });
}
