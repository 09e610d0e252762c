/**
 * What keeps the event loop alive right now, by resource type.
 *
 * Built on `process.getActiveResourcesInfo()` (Node >= 17), which lists only
 * resources that keep the loop alive: an `unref()`ed socket or timer is not
 * counted. A test that must see those too has to count them through the
 * component's own accessors.
 */
export interface OpenHandles {
  /** Connected TCP sockets (`TCPSocketWrap`, `TCPWrap`, `TLSWrap`). */
  readonly sockets: number;
  /** Listening TCP servers (`TCPServerWrap`). */
  readonly listeners: number;
  /** Pending `setTimeout`/`setInterval` timers (`Timeout`). */
  readonly timers: number;
  /** Every active resource, of any type. */
  readonly total: number;
  /** Count per resource type, e.g. `{ TCPSocketWrap: 2, Timeout: 1 }`. */
  readonly byType: Readonly<Record<string, number>>;
}

const SOCKET_TYPES = new Set(["TCPSocketWrap", "TCPWrap", "TLSWrap"]);

/** Counts the resources keeping the event loop alive, by type. */
export function countOpenHandles(): OpenHandles {
  const byType: Record<string, number> = {};
  const types = process.getActiveResourcesInfo();
  for (const type of types) byType[type] = (byType[type] ?? 0) + 1;
  const sum = (match: (type: string) => boolean) => Object.entries(byType).reduce((n, [type, count]) => (match(type) ? n + count : n), 0);
  return {
    sockets: sum((type) => SOCKET_TYPES.has(type)),
    listeners: sum((type) => type === "TCPServerWrap"),
    timers: sum((type) => type === "Timeout"),
    total: types.length,
    byType,
  };
}

/**
 * Throws when `after` holds more resources than `before` plus `slack` (in
 * total over the types that grew), with a message listing each type that
 * grew, e.g. "TCPSocketWrap: 1 -> 3 (+2)". Types that shrank do not offset
 * the ones that grew. Handles close asynchronously: poll (or await the
 * component's close) before taking `after`.
 */
export function expectNoLeakedHandles(before: OpenHandles, after: OpenHandles, slack = 0): void {
  if (!Number.isInteger(slack) || slack < 0) throw new Error(`slack must be a non-negative integer, got ${slack}`);
  const grown: string[] = [];
  let leaked = 0;
  const types = new Set([...Object.keys(before.byType), ...Object.keys(after.byType)]);
  for (const type of [...types].sort()) {
    const was = before.byType[type] ?? 0;
    const now = after.byType[type] ?? 0;
    if (now > was) {
      leaked += now - was;
      grown.push(`${type}: ${was} -> ${now} (+${now - was})`);
    }
  }
  if (leaked > slack) {
    throw new Error(`leaked ${leaked} handle(s) (slack ${slack}):\n  ${grown.join("\n  ")}`);
  }
}

/** Options for {@link waitForNoLeakedHandles}. */
export interface WaitForNoLeakedHandlesOptions {
  /** Extra handles tolerated, as in {@link expectNoLeakedHandles}. Defaults to 0. */
  slack?: number;
  /** How long to wait for handles to close before failing. Defaults to 2 seconds. */
  timeoutMs?: number;
}

/**
 * Polls until the open handles are back to `before` (plus slack), since
 * sockets close a few ticks after `destroy()`. Fails with the
 * {@link expectNoLeakedHandles} message once `timeoutMs` has passed.
 */
export async function waitForNoLeakedHandles(before: OpenHandles, options: WaitForNoLeakedHandlesOptions = {}): Promise<void> {
  const slack = options.slack ?? 0;
  const timeoutMs = options.timeoutMs ?? 2000;
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      // Counted after the poll timer has fired, so it does not count itself.
      expectNoLeakedHandles(before, countOpenHandles(), slack);
      return;
    } catch (e) {
      if (Date.now() > until) throw e;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
