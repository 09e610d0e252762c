"""The UserService servicer of the Python server, following user_service.proto's doc comments.

Import it only after user_server.load_stubs(): `user.v1` and `google.rpc` are
the stubs generated from our .proto files, mounted into sys.modules there.
"""

import collections
import threading

import grpc
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2, status_pb2
from user.v1 import user_service_pb2 as users
from user.v1 import user_service_pb2_grpc as users_grpc

from user_store import RpcFailure

# The longest a watcher sleeps without rechecking that its client is still there;
# a cancel normally wakes it at once through the context's callback.
WATCH_POLL_S = 1.0


class _Status(collections.namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status):
    """What grpcio-status's rpc_status.to_status() builds, without needing that package."""


def abort(context, failure):
    """Ends the call with `failure`; field violations travel as a google.rpc.BadRequest detail."""
    if not failure.violations:
        context.abort(failure.code, failure.message)
    status = status_pb2.Status(code=failure.code.value[0], message=failure.message)
    bad_request = error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
        for field, description in failure.violations
    ])
    status.details.add().Pack(bad_request)
    context.abort_with_status(_Status(failure.code, failure.message,
                                      (("grpc-status-details-bin", status.SerializeToString()),)))


def now():
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


class UserServicer(users_grpc.UserServiceServicer):
    """Every RPC of UserService over a UserStore."""

    def __init__(self, store):
        self.store = store

    def GetUser(self, request, context):
        try:
            return users.GetUserResponse(user=self.store.get(request.user_id))
        except RpcFailure as failure:
            abort(context, failure)

    def ListUsers(self, request, context):
        try:
            return self.store.list(request.page_size, request.page_token, request.filter)
        except RpcFailure as failure:
            abort(context, failure)

    def CreateUser(self, request, context):
        try:
            return users.CreateUserResponse(user=self.store.create(request, now()))
        except RpcFailure as failure:
            abort(context, failure)

    def UpdateUser(self, request, context):
        try:
            return users.UpdateUserResponse(user=self._update(request))
        except RpcFailure as failure:
            abort(context, failure)

    def DeleteUser(self, request, context):
        try:
            self.store.delete(request.user_id, now())
            return users.DeleteUserResponse()
        except RpcFailure as failure:
            abort(context, failure)

    def WatchUsers(self, request, context):
        store = self.store
        wanted = set(request.user_ids)
        gone = threading.Event()

        def on_done():
            # Wake this watcher now rather than at its next poll: the client has gone.
            gone.set()
            with store.changed:
                store.changed.notify_all()

        context.add_callback(on_done)
        try:
            with store.changed:
                cursor = store.start_cursor(request.since_sequence)
        except RpcFailure as failure:
            abort(context, failure)
        # Headers now: the client can tell the watch is in place before any event.
        context.send_initial_metadata(())
        while True:
            failure, events = None, []
            with store.changed:
                while not (gone.is_set() or store.closing or cursor < store.newest_sequence):
                    store.changed.wait(WATCH_POLL_S)
                    if not context.is_active():
                        return
                if gone.is_set():
                    return
                if store.closing:
                    failure = RpcFailure(grpc.StatusCode.UNAVAILABLE,
                                         f"server shutting down; resume with since_sequence {cursor}")
                else:
                    try:
                        events = store.events_after(cursor)
                    except RpcFailure as error:
                        failure = error
            if failure is not None:
                abort(context, failure)
            for event in events:
                cursor = event.sequence
                if not wanted or event.user.id in wanted:
                    yield event

    def BulkCreateUsers(self, request_iterator, context):
        response = users.BulkCreateUsersResponse()
        for index, request in enumerate(request_iterator):
            try:
                response.user_ids.append(self.store.create(request, now()).id)
            except RpcFailure as failure:
                response.failures.add(index=index, code=failure.code.value[0], message=failure.message)
        response.created_count = len(response.user_ids)
        return response

    def SyncUsers(self, request_iterator, context):
        for index, request in enumerate(request_iterator):
            if not context.is_active():
                return
            try:
                yield users.SyncUsersResponse(index=index, user=self._update(request))
            except RpcFailure as failure:
                yield users.SyncUsersResponse(index=index, code=failure.code.value[0], message=failure.message)

    def _update(self, request):
        return self.store.update(request.user, list(request.update_mask.paths), now())
