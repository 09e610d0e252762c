import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { type User, UserEventType, UserStatus, type WatchUsersResponse } from "../../gen/user/v1/user_service_pb.js";
import type { Io } from "./command.js";

/**
 * Prints a result: with --json the message as one line of proto3 JSON
 * (lowerCamel names, enum names, RFC 3339 times), otherwise `human` lines.
 */
export function printMessage<Desc extends DescMessage>(
  io: Io,
  json: boolean,
  schema: Desc,
  message: MessageShape<Desc>,
  human: () => string | string[],
): void {
  if (json) {
    io.out(JSON.stringify(toJson(schema, message)));
    return;
  }
  const lines = human();
  for (const line of typeof lines === "string" ? [lines] : lines) io.out(line);
}

/** A user, one field per line. */
export function userBlock(user: User | undefined): string[] {
  if (!user) return ["(no user)"];
  return [
    `id:       ${user.id}`,
    `email:    ${user.email}`,
    `name:     ${user.name}`,
    `age:      ${user.age}`,
    `roles:    ${user.roles.join(", ")}`,
    `status:   ${statusName(user.status)}`,
    `created:  ${time(user.createTime)}`,
    `updated:  ${time(user.updateTime)}`,
  ];
}

/** A user on one line, for lists and events. */
export function userLine(user: User | undefined): string {
  if (!user) return "(no user)";
  const roles = user.roles.length > 0 ? ` [${user.roles.join(", ")}]` : "";
  return `${user.id}  ${user.name} <${user.email}>  ${statusName(user.status)}${roles}`;
}

/** A watch event on one line: `#4 UPDATED <user>`. */
export function eventLine(event: WatchUsersResponse): string {
  const type = UserEventType[event.type] ?? String(event.type);
  return `#${event.sequence} ${type.padEnd(7)} ${userLine(event.user)}`;
}

/** `ACTIVE` for USER_STATUS_ACTIVE. */
export function statusName(status: UserStatus): string {
  return UserStatus[status] ?? String(status);
}

function time(t: Timestamp | undefined): string {
  return t ? timestampDate(t).toISOString() : "-";
}
