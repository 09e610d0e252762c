#!/usr/bin/env python3
"""A grpcio UserService server: an independent implementation of our contract.

Built only from our .proto files (stubs generated at start into a temporary
directory, never into the repository) and grpcio-health-checking, it lets the
TypeScript client prove it works against a server in another language. Prints
`listening on 127.0.0.1:<port>` once bound; logs one JSON line per call to
stderr (with the `grpc-previous-rpc-attempts` it received); exits 0 on SIGTERM.

Test-only fault switches: --fail-first N --fail-code CODE --fail-method M
(fail the first N calls of M), --pushback-ms MS (send grpc-retry-pushback-ms
with those failures), --retry-info-ms MS (a google.rpc.RetryInfo detail with
those failures), --stall-method M --stall-ms MS (sleep before answering),
--lose-response-method M (its first call takes effect, then fails UNAVAILABLE),
--break-watch-after K (the first WatchUsers stream fails UNAVAILABLE after K events).

Usage: user_server.py --port 0 --token TOKEN [fault switches]
Needs: pip install grpcio grpcio-tools grpcio-health-checking
"""

import argparse
import importlib
import signal
import subprocess
import sys
import tempfile
import threading
import types
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

import server_interceptors
from user_store import UserStore

REPO = Path(__file__).resolve().parents[3]
# No grpc/health/v1/health.proto here: grpcio-health-checking registers that
# package's messages itself, and a second copy would clash in the descriptor pool.
PROTO_FILES = ["user/v1/user_service.proto", "google/rpc/status.proto", "google/rpc/error_details.proto"]
SERVICE = "user.v1.UserService"
SHUTDOWN_GRACE_S = 2


def load_stubs(out_dir):
    """Generates the stubs of PROTO_FILES into `out_dir` and mounts them as importable packages."""
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{REPO / 'proto'}",
         f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *PROTO_FILES],
        check=True, capture_output=True, text=True,
    )
    # `google` is protobuf's namespace package (and maybe googleapis-common-protos
    # provides google.rpc): mounting our generated directory under each package
    # name makes `google.rpc` and `user.v1` resolve to our stubs, whatever is installed.
    import google  # noqa: F401  (the parent of google.rpc must exist first)
    for name in ["google.rpc", "user", "user.v1"]:
        package = types.ModuleType(name)
        package.__path__ = [str(Path(out_dir, *name.split(".")))]
        sys.modules[name] = package
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, package)
    return importlib.import_module("user.v1.user_service_pb2")


class HealthServicer(health.HealthServicer):
    """grpcio-health-checking's servicer plus List, which our health.proto has and it lacks (1.85)."""

    def List(self, request, context):
        # The base class keeps its statuses in _server_status under _lock and offers no getter.
        with self._lock:
            statuses = dict(self._server_status)
        return health_pb2.HealthListResponse(
            statuses={name: health_pb2.HealthCheckResponse(status=status) for name, status in statuses.items()})


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one (default 0)")
    parser.add_argument("--token", required=True, help="bearer token the protected methods require")
    parser.add_argument("--retain-events", type=int, default=1000, help="events WatchUsers can replay (default 1000)")
    parser.add_argument("--fail-first", type=int, default=0, metavar="N", help="fail the first N calls of --fail-method")
    parser.add_argument("--fail-code", default="UNAVAILABLE", help="gRPC code name of those failures (default UNAVAILABLE)")
    parser.add_argument("--fail-method", metavar="M", help="method name, e.g. GetUser")
    parser.add_argument("--pushback-ms", type=int, metavar="MS", help="send grpc-retry-pushback-ms with those failures")
    parser.add_argument("--retry-info-ms", type=int, metavar="MS", help="send a RetryInfo detail with those failures")
    parser.add_argument("--lose-response-method", metavar="M", help="unary method whose first response is lost")
    parser.add_argument("--break-watch-after", type=int, default=0, metavar="K",
                        help="fail the first WatchUsers stream after K events")
    parser.add_argument("--stall-method", metavar="M", help="method to stall before answering")
    parser.add_argument("--stall-ms", type=int, default=0, metavar="MS", help="how long to stall it")
    args = parser.parse_args(argv)
    if args.fail_first and not args.fail_method:
        parser.error("--fail-first needs --fail-method")
    if args.fail_code not in grpc.StatusCode.__members__ or args.fail_code == "OK":
        parser.error(f"--fail-code must be a gRPC code name other than OK, not {args.fail_code!r}")
    if args.stall_ms and not args.stall_method:
        parser.error("--stall-ms needs --stall-method")
    if args.retain_events < 1:
        parser.error("--retain-events must be at least 1")
    return args


def retry_info_status(code, delay_ms):
    """A serialized google.rpc.Status carrying a RetryInfo detail (needs the stubs loaded)."""
    from google.rpc import error_details_pb2, status_pb2
    info = error_details_pb2.RetryInfo()
    info.retry_delay.FromMilliseconds(delay_ms)
    status = status_pb2.Status(code=code.value[0], message="injected failure")
    status.details.add().Pack(info)
    return status.SerializeToString()


def interceptors_for(args):
    """Outermost first: log every call as it arrives, then auth, then the test-only faults."""
    chain = [server_interceptors.CallLogInterceptor(), server_interceptors.AuthInterceptor(args.token)]
    if args.fail_first:
        code = grpc.StatusCode[args.fail_code]
        details = retry_info_status(code, args.retry_info_ms) if args.retry_info_ms is not None else None
        chain.append(server_interceptors.FailFirstInterceptor(
            args.fail_method, args.fail_first, code, args.pushback_ms, details))
    if args.lose_response_method:
        chain.append(server_interceptors.LoseResponseInterceptor(args.lose_response_method, 1))
    if args.break_watch_after:
        chain.append(server_interceptors.BreakWatchInterceptor(args.break_watch_after))
    if args.stall_method:
        chain.append(server_interceptors.StallInterceptor(args.stall_method, args.stall_ms))
    return chain


def serve(args, out_dir):
    pb = load_stubs(out_dir)
    from user_servicer import UserServicer  # needs the stubs mounted above
    from user.v1 import user_service_pb2_grpc

    store = UserStore(pb, retain_events=args.retain_events)
    # Each open stream holds a pool thread (health watches do not: they are non-blocking).
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64), interceptors=interceptors_for(args))
    user_service_pb2_grpc.add_UserServiceServicer_to_server(UserServicer(store), server)
    health_servicer = HealthServicer()
    for service in ("", SERVICE):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    if port == 0:
        raise SystemExit(f"cannot bind 127.0.0.1:{args.port}")
    server.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # Short waits keep the main thread responsive to signals.
    while not stop.wait(0.5):
        pass
    health_servicer.enter_graceful_shutdown()
    store.close()  # open watches end UNAVAILABLE, so clients resume elsewhere
    server.stop(SHUTDOWN_GRACE_S).wait()
    server_interceptors.log_event(event="stopped")


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="user-server-stubs-") as out_dir:
        serve(args, out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
