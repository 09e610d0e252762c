import { Code, ConnectError } from "@connectrpc/connect";
import type { UserStatus } from "../../gen/user/v1/user_service_pb.js";

/** The fields `updateUser` can change; the ones given (not undefined) form the update mask. */
export interface UserChanges {
  email?: string;
  name?: string;
  age?: number;
  roles?: string[];
  status?: UserStatus;
}

const maskPaths = ["email", "name", "age", "roles", "status"] as const;

/** The update_mask paths for the fields present in `changes`, in contract order. */
export function updateMaskFor(changes: UserChanges, subject = "changes"): string[] {
  // Plain JavaScript callers can pass anything; say what is wrong rather than fail with a TypeError.
  if (typeof changes !== "object" || changes === null) {
    throw new ConnectError(`${subject} must be an object with some of ${maskPaths.join(", ")}`, Code.InvalidArgument);
  }
  return maskPaths.filter((path) => changes[path] !== undefined);
}
