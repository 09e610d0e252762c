// The floor no transport goes below: protobuf-es, createClient and one
// unary call on a fetch "transport" of a few lines that only encodes the
// request and decodes the response (no gRPC-Web framing, no status, no
// errors, no policies). Not a product: the difference between it and
// connect-web is all the room a transport has.
import { type DescMessage, type DescMethodUnary, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import { UserService as Service } from "../../../gen/user/v1/user_service_pb.js";

const transport = {
  async unary(method: DescMethodUnary, _signal: unknown, _timeoutMs: unknown, _header: unknown, input: never) {
    const res = await fetch("https://api.example.com", { method: "POST", body: toBinary(method.input as DescMessage, input) });
    const message = fromBinary(method.output, new Uint8Array(await res.arrayBuffer()));
    return { stream: false, service: method.parent, method, header: res.headers, trailer: res.headers, message };
  },
  stream: () => Promise.reject(new Error("no streams")),
} as unknown as Transport;
const client = createClient(Service, transport);
console.log(await client.getUser({ userId: "u-1" }));
