import { lookup } from "node:dns/promises";
import { invalidOption } from "../../transport/validate-transport-options.js";

/** Where a transport's calls go: fixed origins, or a DNS name re-resolved now and then. */
export interface Target {
  /** The URL calls are addressed to (its origin is the transport's authority; its path prefixes every call). */
  readonly baseUrl: string;
  /** The endpoints' origins right now. */
  resolve(): Promise<string[]>;
  /** Whether `resolve` can change its answer (DNS), so it is worth asking again. */
  readonly dynamic: boolean;
}

/**
 * Reads `baseUrl`: one URL, a list of URLs (one endpoint each; same scheme
 * and path), or `dns:///host:port` (every A and AAAA record of host; TLS when
 * `tls` is true). Throws an InvalidArgument ConnectError naming the problem for anything else.
 */
export function parseTarget(baseUrl: string | readonly string[], tls: boolean): Target {
  if (typeof baseUrl === "string" && baseUrl.startsWith("dns:")) return dnsTarget(baseUrl, tls);
  const urls = (typeof baseUrl === "string" ? [baseUrl] : [...baseUrl]).map((u) => {
    try {
      return new URL(u);
    } catch {
      throw invalidOption("baseUrl", `${JSON.stringify(u)} is not a URL like "http://127.0.0.1:50051" or "dns:///host:port"`);
    }
  });
  const first = urls[0];
  if (first === undefined) throw invalidOption("baseUrl", "is an empty list: give at least one URL");
  for (const url of urls) {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw invalidOption("baseUrl", `${url.href} must be http:// or https://`);
    }
    if (url.protocol !== first.protocol || url.pathname !== first.pathname) {
      throw invalidOption("baseUrl", `every URL must share scheme and path: ${url.href} differs from ${first.href}`);
    }
  }
  const origins = [...new Set(urls.map((u) => u.origin))];
  return { baseUrl: first.href.replace(/\/$/, ""), resolve: () => Promise.resolve(origins), dynamic: false };
}

function dnsTarget(target: string, tls: boolean): Target {
  // dns:///host:port (no authority, as gRPC's name syntax has it) or dns:host:port.
  const match = /^dns:(?:\/\/\/)?(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(target);
  if (!match) throw invalidOption("baseUrl", `${JSON.stringify(target)} must look like "dns:///host:port"`);
  const host = match[1]!;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw invalidOption("baseUrl", `${target}: port ${port} is out of range`);
  const scheme = tls ? "https" : "http";
  return {
    baseUrl: `${scheme}://${host}:${port}`,
    dynamic: true,
    async resolve() {
      const addresses = await lookup(host.replace(/^\[|\]$/g, ""), { all: true, verbatim: true });
      return addresses.map((a) => `${scheme}://${a.family === 6 ? `[${a.address}]` : a.address}:${port}`);
    },
  };
}
