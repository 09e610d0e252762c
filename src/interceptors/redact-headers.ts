/** Headers that carry credentials; they are redacted whenever headers are logged. */
export const alwaysRedactedHeaders: readonly string[] = Object.freeze(["authorization", "cookie", "set-cookie", "proxy-authorization"]);

/** What a redacted value is replaced with. */
export const redacted = "[redacted]";

/**
 * Returns the headers as a plain object for a log line, with the
 * {@link alwaysRedactedHeaders} and the given extra names (any case) replaced
 * by "[redacted]".
 */
export function redactHeaders(header: Headers, extraNames: Iterable<string> = []): Record<string, string> {
  const names = new Set([...alwaysRedactedHeaders, ...[...extraNames].map((n) => n.toLowerCase())]);
  const result: Record<string, string> = {};
  // Headers iterates with lower-case names, and joins repeated values
  // (set-cookie is listed once per cookie; it is redacted anyway).
  header.forEach((value, name) => {
    result[name] = names.has(name) ? redacted : value;
  });
  return result;
}
