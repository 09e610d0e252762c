#!/usr/bin/env python3
"""A grpcio client that calls every RPC of the reference UserService server.

It proves that a client in another language, built only from our .proto files,
sees the semantics the contract's doc comments promise. Stubs are generated at
start into a temporary directory (never into the repository). Each check prints
one JSON line, {"check": ..., "ok": ..., "detail": ...}; the exit status is 0
only when every check passed.

Usage: user_client.py --target 127.0.0.1:PORT --token TOKEN
Needs: pip install grpcio grpcio-tools
"""

import argparse
import importlib
import json
import queue
import subprocess
import sys
import tempfile
import threading
import types
import uuid
from pathlib import Path

import grpc

REPO = Path(__file__).resolve().parents[3]
PROTO_FILES = [
    "user/v1/user_service.proto",
    "grpc/health/v1/health.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
]
# Every call carries a deadline: a server that never answers fails a check, it does not hang the run.
TIMEOUT = 5
SERVICE = "user.v1.UserService"


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def load_stubs(out_dir):
    """Generates the Python stubs into `out_dir` and imports them."""
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{REPO / 'proto'}",
         f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *PROTO_FILES],
        check=True, capture_output=True, text=True,
    )
    # The generated packages share their roots with installed ones: `grpc` is
    # grpcio itself and `google` is protobuf's namespace (and maybe
    # googleapis-common-protos). Mounting each generated directory under its
    # package name makes the imports below resolve to our stubs, whatever is installed.
    import google  # noqa: F401  (the parent of google.rpc must exist first)
    for name in ["google.rpc", "grpc.health", "grpc.health.v1", "user", "user.v1"]:
        package = types.ModuleType(name)
        package.__path__ = [str(Path(out_dir, *name.split(".")))]
        sys.modules[name] = package
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, package)
    names = {
        "users": "user.v1.user_service_pb2", "users_grpc": "user.v1.user_service_pb2_grpc",
        "health": "grpc.health.v1.health_pb2", "health_grpc": "grpc.health.v1.health_pb2_grpc",
        "status": "google.rpc.status_pb2", "details": "google.rpc.error_details_pb2",
    }
    return types.SimpleNamespace(**{key: importlib.import_module(mod) for key, mod in names.items()})


class StreamReader:
    """Reads a server stream on a thread so the caller can wait for each message with a timeout."""

    _END = object()

    def __init__(self, call):
        self.call = call
        self._items = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        try:
            for message in self.call:
                self._items.put(message)
        except grpc.RpcError as error:
            self._items.put(error)
        self._items.put(self._END)

    def next(self, timeout=TIMEOUT):
        """The next message; None if none came within `timeout`. Raises the call's error or on end of stream."""
        try:
            item = self._items.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, grpc.RpcError):
            raise item
        expect(item is not self._END, "the stream ended early")
        return item

    def finish(self, timeout=TIMEOUT):
        """Waits for the stream to end and checks that it ended OK."""
        try:
            item = self._items.get(timeout=timeout)
        except queue.Empty:
            raise CheckFailed("the stream did not end") from None
        if isinstance(item, grpc.RpcError):
            raise item
        expect(item is self._END, f"unexpected extra message {item}")
        expect(self.call.code() == grpc.StatusCode.OK, f"the stream ended {self.call.code()}")

    def cancel(self):
        """Cancels the call and checks that it ends CANCELLED."""
        self.call.cancel()
        expect(self.call.code() == grpc.StatusCode.CANCELLED, f"after cancel the call is {self.call.code()}")


class Client:
    def __init__(self, channel, token, pb):
        self.pb = pb
        self.users = pb.users_grpc.UserServiceStub(channel)
        self.health = pb.health_grpc.HealthStub(channel)
        self.auth = (("authorization", f"Bearer {token}"),)

    # --- helpers -------------------------------------------------------------

    def rejected(self, call, code, message=None):
        """Runs `call`, which must fail with `code` (and `message`); returns the RpcError."""
        try:
            call()
        except grpc.RpcError as error:
            expect(error.code() == code, f"expected {code.name}, got {error.code().name}: {error.details()}")
            if message is not None:
                expect(error.details() == message, f"expected message {message!r}, got {error.details()!r}")
            return error
        raise CheckFailed(f"expected {code.name}, but the call succeeded")

    def create(self, label, **fields):
        """A new user with a unique email. No token: CreateUser is public."""
        email = f"{label}-{uuid.uuid4().hex[:8]}@example.com"
        request = self.pb.users.CreateUserRequest(email=email, name=label, **fields)
        return self.users.CreateUser(request, timeout=TIMEOUT).user

    def update(self, user, paths):
        request = self.pb.users.UpdateUserRequest(user=user)
        request.update_mask.paths.extend(paths)
        return self.users.UpdateUser(request, metadata=self.auth, timeout=TIMEOUT).user

    def get(self, user_id, metadata=None):
        request = self.pb.users.GetUserRequest(user_id=user_id)
        return self.users.GetUser(request, metadata=self.auth if metadata is None else metadata, timeout=TIMEOUT).user

    def list(self, **fields):
        return self.users.ListUsers(self.pb.users.ListUsersRequest(**fields), metadata=self.auth, timeout=TIMEOUT)

    # --- Health --------------------------------------------------------------

    def health_check(self, service):
        def run():
            status = self.health.Check(self.pb.health.HealthCheckRequest(service=service), timeout=TIMEOUT).status
            expect(status == self.pb.health.HealthCheckResponse.SERVING, f"status {status}")
            return f"{service!r} is SERVING"
        return run

    def health_check_unknown(self):
        request = self.pb.health.HealthCheckRequest(service="no.such.Service")
        self.rejected(lambda: self.health.Check(request, timeout=TIMEOUT), grpc.StatusCode.NOT_FOUND)
        return "NOT_FOUND"

    def health_list(self):
        statuses = self.health.List(self.pb.health.HealthListRequest(), timeout=TIMEOUT).statuses
        serving = self.pb.health.HealthCheckResponse.SERVING
        for service in ["", SERVICE]:
            expect(service in statuses, f"{service!r} missing from {sorted(statuses)}")
            expect(statuses[service].status == serving, f"{service!r} is {statuses[service].status}")
        return f"lists {sorted(statuses)}"

    def health_watch(self):
        call = self.health.Watch(self.pb.health.HealthCheckRequest(service=SERVICE), timeout=TIMEOUT)
        reader = StreamReader(call)
        first = reader.next()
        expect(first is not None, "no first message")
        expect(first.status == self.pb.health.HealthCheckResponse.SERVING, f"first status {first.status}")
        reader.cancel()
        return "first message SERVING, then cancelled"

    # --- CreateUser, GetUser, auth --------------------------------------------

    def create_ok(self):
        user = self.create("ada", age=36, roles=["admin"], password="hunter2")
        expect(user.id != "", "empty id")
        expect((user.name, user.age, list(user.roles)) == ("ada", 36, ["admin"]), f"got {user}")
        expect(user.status == self.pb.users.USER_STATUS_ACTIVE, f"status {user.status}")
        expect(user.HasField("create_time") and user.HasField("update_time"), "timestamps missing")
        expect(b"hunter2" not in user.SerializeToString(), "the password came back")
        return f"created {user.id}"

    def create_invalid_email(self):
        request = self.pb.users.CreateUserRequest(email="not-an-email", name="N")
        error = self.rejected(lambda: self.users.CreateUser(request, timeout=TIMEOUT), grpc.StatusCode.INVALID_ARGUMENT)
        raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
        expect(raw is not None, "no grpc-status-details-bin trailer")
        status = self.pb.status.Status.FromString(raw)
        expect(status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0], f"status code {status.code}")
        expect(status.message == error.details(), f"status message {status.message!r} != {error.details()!r}")
        fields = []
        for detail in status.details:
            bad_request = self.pb.details.BadRequest()
            if detail.Unpack(bad_request):
                fields += [v.field for v in bad_request.field_violations]
        expect(fields == ["email"], f"BadRequest fields {fields}")
        return "INVALID_ARGUMENT with BadRequest naming email"

    def create_duplicate_email(self):
        user = self.create("dup")
        request = self.pb.users.CreateUserRequest(email=user.email.upper(), name="Dup")
        self.rejected(lambda: self.users.CreateUser(request, timeout=TIMEOUT), grpc.StatusCode.ALREADY_EXISTS)
        return "ALREADY_EXISTS, compared case-insensitively"

    def create_request_id(self):
        request = self.pb.users.CreateUserRequest(
            email=f"retry-{uuid.uuid4().hex[:8]}@example.com", name="Retry", request_id=uuid.uuid4().hex)
        first = self.users.CreateUser(request, timeout=TIMEOUT).user
        second = self.users.CreateUser(request, timeout=TIMEOUT).user
        expect(first.id == second.id, f"{first.id} != {second.id}")
        return f"both returned {first.id}"

    def get_ok(self):
        created = self.create("grace", age=45)
        got = self.get(created.id)
        expect(got == created, f"got {got}, created {created}")
        return f"got {got.id}"

    def get_not_found(self):
        missing = f"missing-{uuid.uuid4().hex[:8]}"
        self.rejected(lambda: self.get(missing), grpc.StatusCode.NOT_FOUND, f"user {missing} not found")
        return "NOT_FOUND naming the id"

    def auth_rejected(self, metadata):
        def run():
            self.rejected(lambda: self.get("any", metadata), grpc.StatusCode.UNAUTHENTICATED, "invalid token")
            return "UNAUTHENTICATED invalid token"
        return run

    # --- ListUsers -----------------------------------------------------------

    def tagged_users(self, count):
        """`count` new users sharing a fresh role, so a filter selects exactly them."""
        tag = f"interop-{uuid.uuid4().hex[:8]}"
        return tag, [self.create(f"list{i}", roles=[tag]) for i in range(count)]

    def list_pages(self):
        tag, users = self.tagged_users(3)
        first = self.list(page_size=2, filter=f"role={tag}")
        expect([u.id for u in first.users] == [u.id for u in users[:2]], "page 1 is not the first two, in order")
        expect(first.total_size == 3, f"page 1 total_size {first.total_size}")
        expect(first.next_page_token != "", "page 1 has no next_page_token")
        last = self.list(page_size=2, filter=f"role={tag}", page_token=first.next_page_token)
        expect([u.id for u in last.users] == [users[2].id], f"page 2 has {len(last.users)} users")
        expect(last.total_size == 3, f"page 2 total_size {last.total_size}")
        expect(last.next_page_token == "", f"last page next_page_token {last.next_page_token!r}")
        return "2 + 1 users, total_size 3, last token empty"

    def list_filter(self):
        tag, users = self.tagged_users(2)
        page = self.list(filter=f"status=USER_STATUS_ACTIVE role={tag} email={users[1].email.upper()}")
        expect([u.id for u in page.users] == [users[1].id], f"matched {[u.email for u in page.users]}")
        expect(page.total_size == 1, f"total_size {page.total_size}")
        return "status, role and email terms ANDed"

    def list_forged_token(self):
        self.rejected(lambda: self.list(page_size=1, page_token="MQ.Zm9yZ2VkLXNpZ25hdHVyZQ"),
                      grpc.StatusCode.INVALID_ARGUMENT)
        return "INVALID_ARGUMENT"

    def list_token_other_filter(self):
        tag, _ = self.tagged_users(2)
        token = self.list(page_size=1, filter=f"role={tag}").next_page_token
        expect(token != "", "no next_page_token")
        self.rejected(lambda: self.list(page_size=1, page_token=token), grpc.StatusCode.INVALID_ARGUMENT)
        return "INVALID_ARGUMENT"

    # --- UpdateUser, DeleteUser ----------------------------------------------

    def update_mask(self):
        user = self.create("upd", age=20)
        changes = self.pb.users.User(id=user.id, name="Renamed", email="not-applied@example.com", age=99)
        updated = self.update(changes, ["name"])
        expect(updated.name == "Renamed", f"name {updated.name!r}")
        expect((updated.email, updated.age) == (user.email, 20), "fields outside the mask changed")
        expect(self.get(user.id) == updated, "GetUser disagrees with the update")
        return "only name changed"

    def update_empty_mask(self):
        user = self.create("upd-empty")
        changes = self.pb.users.User(id=user.id, name="Nope")
        self.rejected(lambda: self.update(changes, []), grpc.StatusCode.INVALID_ARGUMENT)
        return "INVALID_ARGUMENT"

    def delete(self, user_id):
        request = self.pb.users.DeleteUserRequest(user_id=user_id)
        return self.users.DeleteUser(request, metadata=self.auth, timeout=TIMEOUT)

    def delete_ok(self):
        user = self.create("del")
        self.delete(user.id)
        self.rejected(lambda: self.get(user.id), grpc.StatusCode.NOT_FOUND)
        return "deleted; GetUser is NOT_FOUND"

    def delete_not_found(self):
        user = self.create("del-twice")
        self.delete(user.id)
        self.rejected(lambda: self.delete(user.id), grpc.StatusCode.NOT_FOUND, f"user {user.id} not found")
        return "second delete NOT_FOUND"

    # --- WatchUsers ----------------------------------------------------------

    def watch(self, **fields):
        request = self.pb.users.WatchUsersRequest(**fields)
        return StreamReader(self.users.WatchUsers(request, metadata=self.auth, timeout=TIMEOUT))

    def watch_events(self):
        pb = self.pb.users
        user = self.create("watch")
        # Learn a sequence: since_sequence 0 is "from now on", and the server may
        # subscribe after our first update, so update until an event arrives.
        reader = self.watch(since_sequence=0, user_ids=[user.id])
        first = None
        for age in range(1, 9):
            self.update(pb.User(id=user.id, age=age), ["age"])
            first = reader.next(timeout=0.5)
            if first is not None:
                break
        expect(first is not None, "since_sequence 0 delivered no event")
        expect(first.type == pb.USER_EVENT_TYPE_UPDATED, f"first event type {first.type}, not UPDATED")
        reader.cancel()
        known = first.sequence

        reader = self.watch(since_sequence=known)
        self.update(pb.User(id=user.id, name="Watched"), ["name"])
        self.delete(user.id)
        events = []
        while not events or events[-1].type != pb.USER_EVENT_TYPE_DELETED:
            event = reader.next()
            expect(event is not None, f"stream stalled after {len(events)} events")
            events.append(event)
        reader.cancel()
        sequences = [e.sequence for e in events]
        expect(sequences == list(range(known + 1, known + 1 + len(events))), f"sequences {sequences} after {known}")
        expect(len(events) >= 2, "only a DELETED event arrived")
        updated, deleted = events[-2], events[-1]
        expect(updated.type == pb.USER_EVENT_TYPE_UPDATED and updated.user.name == "Watched",
               "no UPDATED event with the new name right before DELETED")
        expect(deleted.user.id == user.id, "the DELETED event names another user")
        return f"sequences {sequences[0]}..{sequences[-1]} in order, then cancelled"

    def watch_out_of_range(self):
        reader = self.watch(since_sequence=10**15)
        self.rejected(reader.next, grpc.StatusCode.OUT_OF_RANGE)
        return "OUT_OF_RANGE"

    # --- BulkCreateUsers, SyncUsers --------------------------------------------

    def bulk_create(self):
        pb = self.pb.users
        suffix = uuid.uuid4().hex[:8]
        requests = [
            pb.BulkCreateUsersRequest(email=f"bulk0-{suffix}@example.com", name="Bulk0"),
            pb.BulkCreateUsersRequest(email="invalid", name="Bulk1"),
            pb.BulkCreateUsersRequest(email=f"bulk2-{suffix}@example.com", name="Bulk2"),
        ]
        response = self.users.BulkCreateUsers(iter(requests), metadata=self.auth, timeout=TIMEOUT)
        expect(response.created_count == 2, f"created_count {response.created_count}")
        expect(len(response.user_ids) == 2, f"{len(response.user_ids)} user_ids")
        failures = [(f.index, f.code) for f in response.failures]
        expect(failures == [(1, 3)], f"failures {failures}")
        emails = [self.get(user_id).email for user_id in response.user_ids]
        expect(emails == [requests[0].email, requests[2].email], f"created {emails}")
        return "created_count 2, failure index 1 code 3"

    def sync_users(self):
        pb = self.pb.users
        user = self.create("sync")
        outbox = queue.Queue()
        call = self.users.SyncUsers(iter(outbox.get, None), metadata=self.auth, timeout=TIMEOUT)
        reader = StreamReader(call)

        def send(user_id, name):
            request = pb.SyncUsersRequest(user=pb.User(id=user_id, name=name))
            request.update_mask.paths.append("name")
            outbox.put(request)

        # Send the second request only after the first answer: updates apply as they arrive.
        send(user.id, "Synced")
        first = reader.next()
        expect(first is not None, "no response to request 0 while the stream is open")
        expect((first.index, first.code, first.user.name) == (0, 0, "Synced"), f"response 0: {first}")
        send(f"missing-{uuid.uuid4().hex[:8]}", "Ghost")
        second = reader.next()
        expect(second is not None, "no response to request 1")
        expect((second.index, second.code) == (1, 5), f"response 1: index {second.index} code {second.code}")
        expect(second.message != "", "response 1 has no message")
        outbox.put(None)
        reader.finish()
        return "index 0 ok, index 1 code 5"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="host:port of the server")
    parser.add_argument("--token", required=True, help="bearer token for protected methods")
    args = parser.parse_args()
    failed = 0

    def report(check, run):
        nonlocal failed
        try:
            ok, detail = True, run()
        except Exception as error:  # one broken check must not stop the others
            ok, detail = False, describe(error)
            failed += 1
        print(json.dumps({"check": check, "ok": ok, "detail": detail}), flush=True)
        return ok

    with tempfile.TemporaryDirectory(prefix="user-client-stubs-") as out_dir:
        pb = None

        def setup():
            nonlocal pb
            pb = load_stubs(out_dir)
            return f"generated and imported {len(PROTO_FILES)} protos"

        if not report("setup.stubs", setup):
            return 1
        with grpc.insecure_channel(args.target) as channel:
            if not report("setup.connect", lambda: grpc.channel_ready_future(channel).result(timeout=TIMEOUT) or "ready"):
                return 1
            c = Client(channel, args.token, pb)
            checks = [
                ("health.check_server", c.health_check("")),
                ("health.check_service", c.health_check(SERVICE)),
                ("health.check_unknown", c.health_check_unknown),
                ("health.list", c.health_list),
                ("health.watch", c.health_watch),
                ("create.ok", c.create_ok),
                ("create.invalid_email", c.create_invalid_email),
                ("create.duplicate_email", c.create_duplicate_email),
                ("create.request_id", c.create_request_id),
                ("get.ok", c.get_ok),
                ("get.not_found", c.get_not_found),
                ("auth.missing_token", c.auth_rejected(())),
                ("auth.wrong_token", c.auth_rejected((("authorization", "Bearer wrong-token"),))),
                ("list.pages", c.list_pages),
                ("list.filter", c.list_filter),
                ("list.forged_token", c.list_forged_token),
                ("list.token_for_other_filter", c.list_token_other_filter),
                ("update.mask", c.update_mask),
                ("update.empty_mask", c.update_empty_mask),
                ("delete.ok", c.delete_ok),
                ("delete.not_found", c.delete_not_found),
                ("watch.events", c.watch_events),
                ("watch.out_of_range", c.watch_out_of_range),
                ("bulk.create", c.bulk_create),
                ("sync.users", c.sync_users),
            ]
            for check, run in checks:
                report(check, run)
    return 0 if failed == 0 else 1


def describe(error):
    if isinstance(error, grpc.RpcError) and hasattr(error, "code"):
        return f"unexpected {error.code().name}: {error.details()}"
    if isinstance(error, subprocess.CalledProcessError):
        return f"{' '.join(map(str, error.cmd[:3]))} failed: {(error.stderr or '').strip()}"
    return f"{type(error).__name__}: {error}" if not isinstance(error, CheckFailed) else str(error)


if __name__ == "__main__":
    sys.exit(main())
