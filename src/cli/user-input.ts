import { Code, ConnectError } from "@connectrpc/connect";
import type { NewUserInput } from "../client/user-client.js";
import type { UserChanges } from "../client/update-mask.js";
import { isInt32, parseStatus, STATUS_NAMES } from "./user-fields.js";

/**
 * Reads a bulk-create item, `{"email","name","age","roles","requestId"}`,
 * all optional (the server checks that email and name are valid). Throws an
 * InvalidArgument ConnectError for unknown keys and wrong types.
 */
export function toNewUser(item: Record<string, unknown>): NewUserInput {
  checkKeys(item, ["email", "name", "age", "roles", "requestId"]);
  const age = optionalAge(item);
  const roles = optionalRoles(item);
  const requestId = optionalString(item, "requestId");
  return {
    email: optionalString(item, "email") ?? "",
    name: optionalString(item, "name") ?? "",
    ...(age !== undefined && { age }),
    ...(roles !== undefined && { roles }),
    ...(requestId !== undefined && { requestId }),
  };
}

/**
 * Reads a sync item, `{"id", and the fields to change}`: email, name, age,
 * roles, status (as `--status` takes it). Throws an InvalidArgument
 * ConnectError for a missing id, unknown keys and wrong types.
 */
export function toUserUpdate(item: Record<string, unknown>): { userId: string; changes: UserChanges } {
  checkKeys(item, ["id", "email", "name", "age", "roles", "status"]);
  const userId = optionalString(item, "id");
  if (userId === undefined || userId === "") throw invalid(`"id" is required`);
  const email = optionalString(item, "email");
  const name = optionalString(item, "name");
  const age = optionalAge(item);
  const roles = optionalRoles(item);
  const statusText = optionalString(item, "status");
  const status = statusText === undefined ? undefined : parseStatus(statusText);
  if (statusText !== undefined && status === undefined) throw invalid(`"status" must be ${STATUS_NAMES}, got "${statusText}"`);
  return {
    userId,
    changes: {
      ...(email !== undefined && { email }),
      ...(name !== undefined && { name }),
      ...(age !== undefined && { age }),
      ...(roles !== undefined && { roles }),
      ...(status !== undefined && { status }),
    },
  };
}

function checkKeys(item: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(item).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw invalid(`unknown field "${unknown}"; expected ${allowed.join(", ")}`);
}

function optionalString(item: Record<string, unknown>, key: string): string | undefined {
  const value = item[key];
  if (value === undefined || typeof value === "string") return value;
  throw invalid(`"${key}" must be a string`);
}

function optionalAge(item: Record<string, unknown>): number | undefined {
  if (item.age === undefined || isInt32(item.age)) return item.age;
  throw invalid(`"age" must be an integer`);
}

function optionalRoles(item: Record<string, unknown>): string[] | undefined {
  const { roles } = item;
  if (roles === undefined) return undefined;
  if (Array.isArray(roles) && roles.every((r) => typeof r === "string")) return roles as string[];
  throw invalid(`"roles" must be an array of strings`);
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}
