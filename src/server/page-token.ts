import { Code, ConnectError } from "@connectrpc/connect";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Issues and verifies opaque ListUsers page tokens. */
export interface PageTokens {
  issue(after: number, filterKey: string): string;
  /** The position to continue after; INVALID_ARGUMENT for a token this server did not issue for this filter. */
  verify(token: string, filterKey: string): number;
}

/**
 * Page tokens are signed with a per-process key: a client cannot forge one,
 * and a token from another server, another filter or another run is rejected
 * instead of silently returning the wrong page.
 */
export function createPageTokens(key: Buffer = randomBytes(32)): PageTokens {
  const sign = (payload: string) => createHmac("sha256", key).update(payload).digest().subarray(0, 16);
  return {
    issue(after, filterKey) {
      const body = Buffer.from(String(after)).toString("base64url");
      return `${body}.${sign(`${body}|${filterKey}`).toString("base64url")}`;
    },
    verify(token, filterKey) {
      const [body, mac, extra] = token.split(".");
      if (body === undefined || mac === undefined || extra !== undefined) throw invalidToken();
      const expected = sign(`${body}|${filterKey}`);
      const given = Buffer.from(mac, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidToken();
      const after = Number(Buffer.from(body, "base64url").toString());
      if (!Number.isSafeInteger(after) || after < 0) throw invalidToken();
      return after;
    },
  };
}

function invalidToken(): ConnectError {
  return new ConnectError("invalid page_token: it was not issued by this server for this filter", Code.InvalidArgument);
}
