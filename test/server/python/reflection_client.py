"""Lists a server's services and one service's methods over gRPC server
reflection with grpcio's own reflection client (grpcio-reflection), which asks
for grpc.reflection.v1alpha, and calls a method the server does not have.
Prints one JSON object; exits 1 on an unexpected RPC error.

usage: reflection_client.py HOST:PORT SERVICE
"""
import json
import sys

import grpc
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def main() -> int:
    target, service = sys.argv[1], sys.argv[2]
    with grpc.insecure_channel(target) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        try:
            services = list(database.get_services())
            methods = [m.name for m in DescriptorPool(database).FindServiceByName(service).methods]
        except grpc.RpcError as e:
            print(json.dumps({"error": str(e.code())}))
            return 1
        # No stubs needed: the empty message is zero bytes either way.
        unknown = channel.unary_unary("/grpc.testing.UnimplementedService/UnimplementedCall")
        try:
            unknown(b"", timeout=5)
            unimplemented = {"code": "OK"}
        except grpc.RpcError as e:
            unimplemented = {"code": e.code().name, "details": e.details()}
    print(json.dumps({"services": services, "methods": methods, "unimplemented": unimplemented}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
