import { clone, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { type User, UserEventType, UserSchema, UserStatus } from "../../gen/user/v1/user_service_pb.js";
import type { EventRead, NewUser, UserEvent, UserFilter, UserPage, UserPatch, UserRepository } from "./user-repository.js";

/** Options for {@link createMemoryUserRepository}. */
export interface MemoryUserRepositoryOptions {
  /** How many of the newest events the log keeps for WatchUsers to resume from. Defaults to 10,000. */
  eventRetention?: number;
  /** Clock, injectable for tests. Defaults to `() => new Date()`. */
  now?: () => Date;
}

interface Row {
  /** Creation order: pages continue after a position, so deletes never shift them. */
  position: number;
  user: User;
  passwordHash: string;
}

/**
 * An in-memory UserRepository. Every method runs to completion without
 * awaiting, which is what makes check-then-insert atomic on Node's single
 * thread.
 */
export function createMemoryUserRepository(options: MemoryUserRepositoryOptions = {}): UserRepository {
  const retention = options.eventRetention ?? 10_000;
  if (!Number.isInteger(retention) || retention < 1) {
    throw new Error(`eventRetention must be a positive integer, got ${retention}`);
  }
  const now = options.now ?? (() => new Date());
  const rows = new Map<string, Row>(); // insertion order = creation order
  const idByEmail = new Map<string, string>();
  const userByRequestId = new Map<string, string>();
  const events: UserEvent[] = [];
  const listeners = new Set<(event: UserEvent) => void>();
  let nextPosition = 1;
  let lastSequence = 0n;

  function append(type: UserEventType, user: User): void {
    lastSequence += 1n;
    const event: UserEvent = { sequence: lastSequence, type, user: clone(UserSchema, user), eventTime: now() };
    events.push(event);
    if (events.length > retention) events.splice(0, events.length - retention);
    for (const listener of listeners) listener(event);
  }

  function requireRow(id: string): Row {
    const row = rows.get(id);
    if (!row) throw new ConnectError(`user ${id} not found`, Code.NotFound);
    return row;
  }

  function claimEmail(email: string, ownerId: string): void {
    const key = email.toLowerCase();
    const holder = idByEmail.get(key);
    if (holder !== undefined && holder !== ownerId) {
      throw new ConnectError(`email ${email} is already registered`, Code.AlreadyExists);
    }
    idByEmail.set(key, ownerId);
  }

  return {
    get(id) {
      const row = rows.get(id);
      return Promise.resolve(row ? clone(UserSchema, row.user) : undefined);
    },

    create(input: NewUser, requestId: string) {
      if (requestId !== "") {
        const earlier = userByRequestId.get(requestId);
        const row = earlier === undefined ? undefined : rows.get(earlier);
        if (row) return Promise.resolve(clone(UserSchema, row.user));
      }
      const id = randomUUID();
      claimEmail(input.email, id);
      const time = timestampFromDate(now());
      const user = create(UserSchema, {
        id,
        email: input.email,
        name: input.name,
        age: input.age,
        roles: [...input.roles],
        status: UserStatus.ACTIVE,
        createTime: time,
        updateTime: time,
      });
      rows.set(id, { position: nextPosition++, user, passwordHash: hashPassword(input.password) });
      if (requestId !== "") userByRequestId.set(requestId, id);
      append(UserEventType.CREATED, user);
      return Promise.resolve(clone(UserSchema, user));
    },

    update(id: string, patch: UserPatch) {
      const row = requireRow(id);
      if (patch.email !== undefined && patch.email.toLowerCase() !== row.user.email.toLowerCase()) {
        claimEmail(patch.email, id);
        idByEmail.delete(row.user.email.toLowerCase());
      }
      const user = clone(UserSchema, row.user);
      if (patch.email !== undefined) user.email = patch.email;
      if (patch.name !== undefined) user.name = patch.name;
      if (patch.age !== undefined) user.age = patch.age;
      if (patch.roles !== undefined) user.roles = [...patch.roles];
      if (patch.status !== undefined) user.status = patch.status;
      user.updateTime = timestampFromDate(now());
      row.user = user;
      append(UserEventType.UPDATED, user);
      return Promise.resolve(clone(UserSchema, user));
    },

    delete(id: string) {
      const row = requireRow(id);
      rows.delete(id);
      idByEmail.delete(row.user.email.toLowerCase());
      append(UserEventType.DELETED, row.user);
      return Promise.resolve(clone(UserSchema, row.user));
    },

    list(filter: UserFilter, after: number, limit: number) {
      const page: User[] = [];
      let totalSize = 0;
      let more = false;
      let lastPosition = after;
      for (const row of rows.values()) {
        if (!matches(row.user, filter)) continue;
        totalSize++;
        if (row.position <= after) continue;
        if (page.length < limit) {
          page.push(clone(UserSchema, row.user));
          lastPosition = row.position;
        } else {
          more = true;
        }
      }
      const result: UserPage = more ? { users: page, nextAfter: lastPosition, totalSize } : { users: page, totalSize };
      return Promise.resolve(result);
    },

    readEvents(since: bigint): EventRead {
      if (since === 0n) return { kind: "events", events: [], lastSequence };
      if (since > lastSequence) {
        return {
          kind: "out_of_range",
          reason: `since_sequence ${since} is ahead of the newest event ${lastSequence}`,
        };
      }
      const oldest = events[0]?.sequence ?? lastSequence + 1n;
      if (since + 1n < oldest) {
        return {
          kind: "out_of_range",
          reason: `events after sequence ${since} are no longer retained (oldest is ${oldest})`,
        };
      }
      const start = Number(since + 1n - oldest);
      return { kind: "events", events: events.slice(start), lastSequence };
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function matches(user: User, filter: UserFilter): boolean {
  if (filter.status !== undefined && user.status !== filter.status) return false;
  if (filter.roles?.some((role) => !user.roles.includes(role))) return false;
  if (filter.email !== undefined && user.email.toLowerCase() !== filter.email.toLowerCase()) return false;
  return true;
}

/**
 * The password is write-only: only a salted hash is kept. A real store would
 * use a slow KDF (scrypt, argon2); this in-memory reference store keeps tests fast.
 */
function hashPassword(password: string): string {
  if (password === "") return "";
  const salt = randomBytes(16).toString("hex");
  return `${salt}:${createHash("sha256").update(salt).update(password).digest("hex")}`;
}
