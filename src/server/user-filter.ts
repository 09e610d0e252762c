import { Code, ConnectError } from "@connectrpc/connect";
import { UserStatus } from "../../gen/user/v1/user_service_pb.js";
import type { UserFilter } from "./user-repository.js";

const statusByName = new Map<string, UserStatus>([
  ["USER_STATUS_ACTIVE", UserStatus.ACTIVE],
  ["USER_STATUS_INACTIVE", UserStatus.INACTIVE],
  ["USER_STATUS_SUSPENDED", UserStatus.SUSPENDED],
  ["ACTIVE", UserStatus.ACTIVE],
  ["INACTIVE", UserStatus.INACTIVE],
  ["SUSPENDED", UserStatus.SUSPENDED],
]);

/**
 * Parses a ListUsers filter: empty, or space-separated `field=value` terms,
 * ANDed, over `status` (enum name, with or without the USER_STATUS_ prefix),
 * `role` (repeatable: every role must be held) and `email`. Anything else is
 * INVALID_ARGUMENT naming the offending term.
 */
export function parseUserFilter(filter: string): UserFilter {
  const result: UserFilter = {};
  for (const term of filter.split(/\s+/).filter((t) => t !== "")) {
    const eq = term.indexOf("=");
    const field = eq < 0 ? term : term.slice(0, eq);
    const value = eq < 0 ? "" : term.slice(eq + 1);
    if (eq <= 0 || value === "") {
      throw invalidFilter(`term "${term}" is not field=value`);
    }
    switch (field) {
      case "status": {
        const status = statusByName.get(value);
        if (status === undefined) throw invalidFilter(`unknown status "${value}"`);
        if (result.status !== undefined) throw invalidFilter("status is given twice");
        result.status = status;
        break;
      }
      case "role":
        result.roles = [...(result.roles ?? []), value];
        break;
      case "email":
        if (result.email !== undefined) throw invalidFilter("email is given twice");
        result.email = value;
        break;
      default:
        throw invalidFilter(`unknown field "${field}"; expected status, role or email`);
    }
  }
  return result;
}

/** A canonical form of a filter, so a page token can be bound to it. */
export function canonicalFilter(filter: UserFilter): string {
  return JSON.stringify([filter.status ?? null, [...(filter.roles ?? [])].sort(), filter.email?.toLowerCase() ?? null]);
}

function invalidFilter(reason: string): ConnectError {
  return new ConnectError(`invalid filter: ${reason}`, Code.InvalidArgument);
}
