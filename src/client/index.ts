export { createUserClient } from "./user-client.js";
export type { BulkCreateResult, NewUserInput, UserClient } from "./user-client.js";
export type { UserCallOptions } from "./call-options.js";
export type { UserChanges } from "./update-mask.js";
export type { ResumeOptions } from "./watch-with-resume.js";
