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
export function updateMaskFor(changes: UserChanges): string[] {
  return maskPaths.filter((path) => changes[path] !== undefined);
}
