/**
 * Request headers as a plain record of lower-case names (what `fetch` and
 * `node:http2` both take), from the method's base headers to the wire: a
 * WHATWG `Headers` is built only where an interceptor or observer asks for
 * one (shared/design/call-path.md). Repeated names join with ", ", as
 * `Headers` does.
 */
export type HeaderFields = Record<string, string>;

/**
 * Sets the entries of a `HeadersInit` on `target`, replacing what is there:
 * the caller's headers win over the method's and the transport's.
 */
export function assignHeadersInit(target: HeaderFields, init: HeadersInit): void {
  if (init instanceof Headers) {
    init.forEach((value, name) => {
      target[name] = value;
    });
    return;
  }
  const own: HeaderFields = {};
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    own[key] = own[key] === undefined ? value : `${own[key]}, ${value}`;
  };
  if (Array.isArray(init)) for (const [name, value] of init) add(name, value);
  else for (const name in init) add(name, (init as Record<string, string>)[name]!);
  Object.assign(target, own);
}

/** Whether a `HeadersInit` sets `name` (lower case). */
export function headersInitHas(init: HeadersInit | undefined, name: string): boolean {
  if (init === undefined) return false;
  if (init instanceof Headers) return init.has(name);
  if (Array.isArray(init)) return init.some(([key]) => key.toLowerCase() === name);
  for (const key in init) if (key.toLowerCase() === name) return true;
  return false;
}

/** A `Headers` holding `fields`, for interceptors and observers; a value Headers rejects is skipped. */
export function headersFromFields(fields: HeaderFields): Headers {
  const headers = new Headers();
  for (const name in fields) {
    try {
      headers.append(name, fields[name]!);
    } catch {
      // Losing one odd field beats failing the call.
    }
  }
  return headers;
}

/** The fields of `headers`. */
export function fieldsFromHeaders(headers: Headers): HeaderFields {
  const fields: HeaderFields = {};
  headers.forEach((value, name) => {
    fields[name] = value;
  });
  return fields;
}
