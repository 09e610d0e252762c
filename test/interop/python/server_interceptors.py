"""Server interceptors of the Python UserService server: call log, auth and test-only faults.

grpc.server(interceptors=[...]) runs the first one outermost. Health methods
pass through untouched: wrapping them would hide the health servicer's
non-blocking Watch (`experimental_non_blocking`) and tie up a pool thread per watcher.
"""

import json
import sys
import threading
import time

import grpc

HEALTH_PREFIX = "/grpc.health.v1.Health/"
PUBLIC_METHODS = {"/user.v1.UserService/CreateUser"}


def method_name(full_method):
    """'/user.v1.UserService/GetUser' -> 'GetUser'."""
    return full_method.rsplit("/", 1)[-1]


def wrap_handler(handler, wrap):
    """A handler of the same kind whose behavior is `wrap(behavior)`; None stays None (unknown method)."""
    if handler is None:
        return None
    if handler.request_streaming and handler.response_streaming:
        make, behavior = grpc.stream_stream_rpc_method_handler, handler.stream_stream
    elif handler.request_streaming:
        make, behavior = grpc.stream_unary_rpc_method_handler, handler.stream_unary
    elif handler.response_streaming:
        make, behavior = grpc.unary_stream_rpc_method_handler, handler.unary_stream
    else:
        make, behavior = grpc.unary_unary_rpc_method_handler, handler.unary_unary
    return make(wrap(behavior), request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer)


def log_event(**fields):
    """One JSON line on stderr: the test reads these to see what the server received."""
    print(json.dumps(fields), file=sys.stderr, flush=True)


class CallLogInterceptor(grpc.ServerInterceptor):
    """Logs each call as it arrives, with its retry attempt header, and again when it ends."""

    def intercept_service(self, continuation, handler_call_details):
        metadata = dict(handler_call_details.invocation_metadata or ())
        method = method_name(handler_call_details.method)
        log_event(event="call", method=method, previous_rpc_attempts=metadata.get("grpc-previous-rpc-attempts"),
                  t_ms=round(time.monotonic() * 1000, 1))
        handler = continuation(handler_call_details)
        if handler_call_details.method.startswith(HEALTH_PREFIX):
            return handler

        def wrap(behavior):
            def logged(request, context):
                context.add_callback(lambda: log_event(event="done", method=method, t_ms=round(time.monotonic() * 1000, 1)))
                return behavior(request, context)
            return logged

        return wrap_handler(handler, wrap)


class AuthInterceptor(grpc.ServerInterceptor):
    """Requires `authorization: Bearer <token>` except on CreateUser and the health service."""

    def __init__(self, token):
        self._expected = f"Bearer {token}"

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if method in PUBLIC_METHODS or method.startswith(HEALTH_PREFIX):
            return handler
        metadata = dict(handler_call_details.invocation_metadata or ())
        if metadata.get("authorization") == self._expected:
            return handler

        def deny(_request, context):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid token")

        return wrap_handler(handler, lambda _behavior: deny)


class FailFirstInterceptor(grpc.ServerInterceptor):
    """Test-only: fails the first `count` calls of one method with `code`, optionally with A6 pushback."""

    def __init__(self, method, count, code, pushback_ms=None, status_details=None):
        self._method, self._count, self._code, self._pushback_ms = method, count, code, pushback_ms
        # Serialized google.rpc.Status with e.g. a RetryInfo detail, sent as grpc-status-details-bin.
        self._status_details = status_details
        self._seen = 0
        self._lock = threading.Lock()

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if method_name(handler_call_details.method) != self._method:
            return handler
        with self._lock:
            self._seen += 1
            n = self._seen
        if n > self._count:
            return handler

        def fail(_request, context):
            trailers = []
            if self._pushback_ms is not None:
                trailers.append(("grpc-retry-pushback-ms", str(self._pushback_ms)))
            if self._status_details is not None:
                trailers.append(("grpc-status-details-bin", self._status_details))
            context.set_trailing_metadata(tuple(trailers))
            context.abort(self._code, f"injected failure {n} of {self._count}")

        return wrap_handler(handler, lambda _behavior: fail)


class StallInterceptor(grpc.ServerInterceptor):
    """Test-only: sleeps `stall_ms` before one method answers, waking early if the client goes away."""

    def __init__(self, method, stall_ms):
        self._method, self._stall_s = method, stall_ms / 1000

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if method_name(handler_call_details.method) != self._method:
            return handler

        def wrap(behavior):
            def stalled(request, context):
                gone = threading.Event()
                context.add_callback(gone.set)
                if gone.wait(self._stall_s) or not context.is_active():
                    log_event(event="stall_abandoned", method=self._method, t_ms=round(time.monotonic() * 1000, 1))
                    context.abort(grpc.StatusCode.CANCELLED, "the client went away while the call was stalled")
                return behavior(request, context)
            return stalled

        return wrap_handler(handler, wrap)


class FirstN:
    """A thread-safe countdown: true for the first `count` calls of take()."""

    def __init__(self, count):
        self._left, self._lock = count, threading.Lock()

    def take(self):
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


class LoseResponseInterceptor(grpc.ServerInterceptor):
    """Test-only: the first `count` calls of a unary method take effect, then fail UNAVAILABLE, as if the
    response were lost on the way back. A client that retries must not make the change twice."""

    def __init__(self, method, count):
        self._method, self._first = method, FirstN(count)

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if method_name(handler_call_details.method) != self._method or handler is None or handler.response_streaming:
            return handler

        def wrap(behavior):
            def lost(request, context):
                response = behavior(request, context)
                if self._first.take():
                    log_event(event="response_lost", method=self._method, t_ms=round(time.monotonic() * 1000, 1))
                    context.abort(grpc.StatusCode.UNAVAILABLE, "injected failure: the response was lost after the change")
                return response
            return lost

        return wrap_handler(handler, wrap)


class BreakWatchInterceptor(grpc.ServerInterceptor):
    """Test-only: the first WatchUsers stream ends UNAVAILABLE after sending `after` events."""

    def __init__(self, after):
        self._after, self._first = after, FirstN(1)

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if method_name(handler_call_details.method) != "WatchUsers" or not self._first.take():
            return handler

        def wrap(behavior):
            def broken(request, context):
                for sent, event in enumerate(behavior(request, context), start=1):
                    yield event
                    if sent >= self._after:
                        log_event(event="watch_broken", sequence=event.sequence, t_ms=round(time.monotonic() * 1000, 1))
                        context.abort(grpc.StatusCode.UNAVAILABLE, f"injected failure: stream broken after {sent} events")
            return broken

        return wrap_handler(handler, wrap)
