import { Code } from "@connectrpc/connect";

/** The canonical lower snake_case name of a code, as Connect spells it on the wire ("not_found"). */
export function codeName(code: Code): string {
  return (Code[code] ?? "unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}
