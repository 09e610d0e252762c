// Runtime-neutral: shared with gRPC-Web over fetch.
export { codeFromHttpStatus } from "../../protocol/http-status-code.js";
