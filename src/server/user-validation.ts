import { UserStatus } from "../../gen/user/v1/user_service_pb.js";
import type { FieldViolation } from "./bad-request.js";
import type { UserPatch } from "./user-repository.js";

/** Limits from the UserService contract. */
export const MAX_EMAIL_LENGTH = 254;
export const MAX_NAME_LENGTH = 200;

/** The update_mask paths UpdateUser and SyncUsers accept. */
export const UPDATABLE_PATHS = ["email", "name", "age", "roles", "status"] as const;

/**
 * Checks the fields a create or an update sets. `prefix` names the field the
 * way the request nests it ("" for CreateUser, "user." for UpdateUser).
 */
export function validateUserFields(fields: { email?: string; name?: string; status?: UserStatus }, prefix = ""): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const { email, name, status } = fields;
  if (email !== undefined) {
    if (!email.includes("@")) {
      violations.push({ field: `${prefix}email`, description: 'must contain "@"' });
    } else if (email.length > MAX_EMAIL_LENGTH) {
      violations.push({ field: `${prefix}email`, description: `must be at most ${MAX_EMAIL_LENGTH} characters` });
    }
  }
  if (name !== undefined) {
    if (name.length === 0) {
      violations.push({ field: `${prefix}name`, description: "must not be empty" });
    } else if (name.length > MAX_NAME_LENGTH) {
      violations.push({ field: `${prefix}name`, description: `must be at most ${MAX_NAME_LENGTH} characters` });
    }
  }
  if (status !== undefined && !(status in UserStatus && status !== UserStatus.UNSPECIFIED)) {
    violations.push({ field: `${prefix}status`, description: "must be ACTIVE, INACTIVE or SUSPENDED" });
  }
  return violations;
}

/**
 * Turns an update mask and the new values into a patch, or into the
 * violations that make the update invalid (empty mask, unknown path, bad value).
 */
export function patchFromMask(
  paths: readonly string[],
  user: { email: string; name: string; age: number; roles: string[]; status: UserStatus },
): { patch: UserPatch; violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const patch: UserPatch = {};
  if (paths.length === 0) {
    violations.push({
      field: "update_mask",
      description: `must name at least one of ${UPDATABLE_PATHS.join(", ")}`,
    });
  }
  for (const path of paths) {
    switch (path) {
      case "email":
        patch.email = user.email;
        break;
      case "name":
        patch.name = user.name;
        break;
      case "age":
        patch.age = user.age;
        break;
      case "roles":
        patch.roles = user.roles;
        break;
      case "status":
        patch.status = user.status;
        break;
      default:
        violations.push({
          field: "update_mask",
          description: `unknown path "${path}"; expected one of ${UPDATABLE_PATHS.join(", ")}`,
        });
    }
  }
  violations.push(...validateUserFields(patch, "user."));
  return { patch, violations };
}
