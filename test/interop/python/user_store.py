"""The in-memory state of the Python UserService server: users, the event log, page tokens.

Every public method takes the store's lock, so the gRPC thread pool may call
them concurrently. Failures are raised as `RpcFailure` with the gRPC code the
contract asks for; the servicer turns them into statuses.
"""

import base64
import collections
import hashlib
import hmac
import json
import os
import threading
import uuid

import grpc

MAX_EMAIL = 254
MAX_NAME = 200
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
UPDATE_PATHS = ("email", "name", "age", "roles", "status")
FILTER_FIELDS = ("status", "role", "email")


class RpcFailure(Exception):
    """A failed call: a gRPC code, a message, and BadRequest field violations (field, description)."""

    def __init__(self, code, message, violations=()):
        super().__init__(message)
        self.code = code
        self.message = message
        self.violations = list(violations)


def not_found(user_id):
    return RpcFailure(grpc.StatusCode.NOT_FOUND, f"user {user_id} not found")


def bad_request(violations):
    """INVALID_ARGUMENT naming every offending field, in the message and as violations."""
    text = "; ".join(f"{field} {description}" for field, description in violations)
    return RpcFailure(grpc.StatusCode.INVALID_ARGUMENT, f"invalid request: {text}", violations)


def field_violations(email=None, name=None, prefix=""):
    """The CreateUser rules for the fields given (None = not being set)."""
    violations = []
    if email is not None:
        if "@" not in email:
            violations.append((prefix + "email", "must contain @"))
        elif len(email) > MAX_EMAIL:
            violations.append((prefix + "email", f"must be at most {MAX_EMAIL} characters"))
    if name is not None:
        if name == "":
            violations.append((prefix + "name", "must not be empty"))
        elif len(name) > MAX_NAME:
            violations.append((prefix + "name", f"must be at most {MAX_NAME} characters"))
    return violations


class PageTokens:
    """Opaque page tokens: `<position>.<filter>` signed with a key only this process knows."""

    def __init__(self):
        self._key = os.urandom(32)

    def _sign(self, payload):
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def issue(self, after, filter_key):
        payload = json.dumps([after, filter_key]).encode()
        return ".".join(base64.urlsafe_b64encode(p).decode().rstrip("=") for p in (payload, self._sign(payload)))

    def verify(self, token, filter_key):
        """The position a token resumes after; INVALID_ARGUMENT unless we issued it for this filter."""
        try:
            payload, signature = (base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)) for p in token.split("."))
            valid = hmac.compare_digest(signature, self._sign(payload))
            after, issued_for = json.loads(payload) if valid else (None, None)
        except ValueError:
            valid = False
        if not valid:
            raise bad_request([("page_token", "is not a token this server issued")])
        if issued_for != filter_key:
            raise bad_request([("page_token", "was issued for another filter")])
        return after


def parse_filter(text, pb):
    """The terms of a ListUsers filter as sorted (field, value) pairs; INVALID_ARGUMENT when malformed."""
    terms = []
    for term in text.split():
        field, sep, value = term.partition("=")
        if not sep or field not in FILTER_FIELDS or value == "":
            raise bad_request([("filter", f"term {term!r} is not status=, role= or email= with a value")])
        if field == "status":
            if value not in pb.UserStatus.keys():
                raise bad_request([("filter", f"unknown status {value!r}")])
            value = pb.UserStatus.Value(value)
        elif field == "email":
            value = value.lower()
        terms.append((field, value))
    return sorted(set(terms), key=repr)


def matches(user, terms):
    for field, value in terms:
        if field == "status" and user.status != value:
            return False
        if field == "role" and value not in user.roles:
            return False
        if field == "email" and user.email.lower() != value:
            return False
    return True


class UserStore:
    """Users in creation order, unique emails, create idempotency keys and a bounded event log."""

    def __init__(self, pb, retain_events=1000):
        self.pb = pb
        self.page_tokens = PageTokens()
        self._lock = threading.Lock()
        # Watchers wait on this; it shares the store's lock so an append and a wake-up are atomic.
        self.changed = threading.Condition(self._lock)
        self._users = {}  # id -> (ordinal, User); dicts keep insertion order, i.e. creation order
        self._ids_by_email = {}  # lower-cased email -> id
        self._password_hashes = {}  # id -> salted hash; write-only, never returned or logged
        self._created_by_request = {}  # request_id -> User as created
        self._next_ordinal = 1
        self._events = collections.deque(maxlen=retain_events)
        self._newest_sequence = 0
        self.closing = False

    # --- reads -----------------------------------------------------------------

    def get(self, user_id):
        with self._lock:
            entry = self._users.get(user_id)
            if entry is None:
                raise not_found(user_id)
            return _copy(entry[1])

    def list(self, page_size, page_token, filter_text):
        if page_size < 0:
            raise bad_request([("page_size", "must not be negative")])
        limit = DEFAULT_PAGE_SIZE if page_size == 0 else min(page_size, MAX_PAGE_SIZE)
        terms = parse_filter(filter_text, self.pb)
        filter_key = repr(terms)
        after = self.page_tokens.verify(page_token, filter_key) if page_token else 0
        with self._lock:
            matching = [(o, u) for o, u in self._users.values() if matches(u, terms)]
        rest = [(o, u) for o, u in matching if o > after]
        page = rest[:limit]
        token = self.page_tokens.issue(page[-1][0], filter_key) if len(rest) > limit else ""
        return self.pb.ListUsersResponse(users=[u for _, u in page], next_page_token=token, total_size=len(matching))

    # --- writes ----------------------------------------------------------------

    def create(self, request, now):
        """Creates from a CreateUserRequest or BulkCreateUsersRequest; a known request_id returns its user."""
        violations = field_violations(email=request.email, name=request.name)
        if violations:
            raise bad_request(violations)
        with self._lock:
            if request.request_id and request.request_id in self._created_by_request:
                first = self._created_by_request[request.request_id]
                current = self._users.get(first.id)
                return _copy(current[1] if current else first)
            if request.email.lower() in self._ids_by_email:
                raise RpcFailure(grpc.StatusCode.ALREADY_EXISTS, f"a user with email {request.email} already exists")
            user = self.pb.User(id=f"py-{uuid.uuid4().hex[:12]}", email=request.email, name=request.name,
                                age=request.age, roles=list(request.roles), status=self.pb.USER_STATUS_ACTIVE)
            user.create_time.CopyFrom(now)
            user.update_time.CopyFrom(now)
            self._users[user.id] = (self._next_ordinal, user)
            self._next_ordinal += 1
            self._ids_by_email[user.email.lower()] = user.id
            if request.password:
                salt = os.urandom(16)
                self._password_hashes[user.id] = salt + hashlib.pbkdf2_hmac("sha256", request.password.encode(), salt, 10_000)
            if request.request_id:
                self._created_by_request[request.request_id] = _copy(user)
            self._append(self.pb.USER_EVENT_TYPE_CREATED, user, now)
            return _copy(user)

    def update(self, changes, paths, now):
        """Applies the fields of `changes` named by `paths` to the user `changes.id`."""
        if not paths:
            raise bad_request([("update_mask", "must name at least one field")])
        unknown = [p for p in paths if p not in UPDATE_PATHS]
        if unknown:
            raise bad_request([("update_mask", f"unknown path {p!r}; use {', '.join(UPDATE_PATHS)}") for p in unknown])
        if changes.id == "":
            raise bad_request([("user.id", "must not be empty")])
        violations = field_violations(email=changes.email if "email" in paths else None,
                                      name=changes.name if "name" in paths else None, prefix="user.")
        if "status" in paths and changes.status == self.pb.USER_STATUS_UNSPECIFIED:
            violations.append(("user.status", "must not be USER_STATUS_UNSPECIFIED"))
        with self._lock:
            entry = self._users.get(changes.id)
            if entry is None:
                raise not_found(changes.id)
            if violations:
                raise bad_request(violations)
            ordinal, user = entry
            if "email" in paths:
                owner = self._ids_by_email.get(changes.email.lower())
                if owner is not None and owner != user.id:
                    raise RpcFailure(grpc.StatusCode.ALREADY_EXISTS, f"a user with email {changes.email} already exists")
            updated = _copy(user)
            for path in paths:
                if path == "roles":
                    del updated.roles[:]
                    updated.roles.extend(changes.roles)
                else:
                    setattr(updated, path, getattr(changes, path))
            updated.update_time.CopyFrom(now)
            del self._ids_by_email[user.email.lower()]
            self._ids_by_email[updated.email.lower()] = updated.id
            self._users[updated.id] = (ordinal, updated)
            self._append(self.pb.USER_EVENT_TYPE_UPDATED, updated, now)
            return _copy(updated)

    def delete(self, user_id, now):
        with self._lock:
            entry = self._users.pop(user_id, None)
            if entry is None:
                raise not_found(user_id)
            user = entry[1]
            del self._ids_by_email[user.email.lower()]
            self._password_hashes.pop(user_id, None)
            self._append(self.pb.USER_EVENT_TYPE_DELETED, user, now)

    # --- the event log ---------------------------------------------------------

    def _append(self, event_type, user, now):
        """Appends an event; the caller holds the lock."""
        self._newest_sequence += 1
        event = self.pb.WatchUsersResponse(sequence=self._newest_sequence, type=event_type, user=_copy(user))
        event.event_time.CopyFrom(now)
        self._events.append(event)
        self.changed.notify_all()

    @property
    def newest_sequence(self):
        """The sequence of the newest event, 0 before any; read it holding `changed`."""
        return self._newest_sequence

    def start_cursor(self, since_sequence):
        """Where a watch starts, checked against the log; the caller holds `changed`."""
        if since_sequence < 0:
            raise bad_request([("since_sequence", "must not be negative")])
        if since_sequence == 0:
            return self._newest_sequence
        if since_sequence > self._newest_sequence:
            raise RpcFailure(grpc.StatusCode.OUT_OF_RANGE,
                             f"since_sequence {since_sequence} is ahead of the newest event {self._newest_sequence}")
        self._check_retained(since_sequence)
        return since_sequence

    def events_after(self, cursor):
        """Retained events with sequence > cursor; OUT_OF_RANGE if some were dropped. The caller holds `changed`."""
        if cursor >= self._newest_sequence:
            return []
        self._check_retained(cursor)
        oldest = self._events[0].sequence
        return [_copy(e) for e in list(self._events)[cursor + 1 - oldest:]]

    def _check_retained(self, cursor):
        oldest = self._events[0].sequence if self._events else self._newest_sequence + 1
        if cursor + 1 < oldest:
            raise RpcFailure(grpc.StatusCode.OUT_OF_RANGE,
                             f"events after {cursor} are no longer retained; the oldest is {oldest}")

    def close(self):
        """Wakes every watcher so it can end its stream: the server is shutting down."""
        with self._lock:
            self.closing = True
            self.changed.notify_all()


def _copy(message):
    clone = type(message)()
    clone.CopyFrom(message)
    return clone
