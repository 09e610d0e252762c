import { UserStatus } from "../../gen/user/v1/user_service_pb.js";

const statuses: Readonly<Record<string, UserStatus>> = {
  ACTIVE: UserStatus.ACTIVE,
  INACTIVE: UserStatus.INACTIVE,
  SUSPENDED: UserStatus.SUSPENDED,
};

/** The names `--status` and sync's `"status"` accept. */
export const STATUS_NAMES = "ACTIVE, INACTIVE or SUSPENDED (or USER_STATUS_*)";

/**
 * Reads a status: ACTIVE, INACTIVE, SUSPENDED or the full USER_STATUS_* name,
 * in any case. Undefined for anything else (UNSPECIFIED included: it is never stored).
 */
export function parseStatus(text: string): UserStatus | undefined {
  const name = text.toUpperCase().replace(/^USER_STATUS_/, "");
  return Object.hasOwn(statuses, name) ? statuses[name] : undefined;
}

/** Whether `n` fits the int32 `age` field. */
export function isInt32(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31;
}
