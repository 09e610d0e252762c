import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { Socket } from "node:net";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createTransport } from "../../src/node/index.js";
import { createUserClient } from "../../src/users/node.js";
import { countOpenHandles } from "../../test/helpers/open-handles.js";
import { createSeededRandom } from "../run/seeded-random.js";
import { startSoakPeer } from "./soak-peer-process.js";
import type { PeerStats } from "./soak-peer-protocol.js";
import { SOAK_CALL_HEADER } from "./soak-server.js";
import type { SoakReport, WatchFigures } from "./soak-report.js";
import { startStallMonitor } from "./stall-monitor.js";

/** Options for {@link runSoak}. */
export interface SoakOptions {
  /** Unary calls to make. Defaults to 50,000. */
  calls?: number;
  /** Unary calls in flight at once. Defaults to 32. */
  concurrency?: number;
  /** Long-lived WatchUsers watches open during the run. Defaults to 3. */
  watches?: number;
  /** Deadline of every unary call. Defaults to 2500 ms. */
  timeoutMs?: number;
  /**
   * Mean number of requests the server gets between two connection-wide
   * faults (each hits every call on the connection). Defaults to 120.
   */
  connectionFaultEveryRequests?: number;
  /** Seeds the call mix and the peer's faults. Defaults to a random seed (printed in the report). */
  seed?: number;
  /** Gets a progress line now and then. Defaults to none. */
  progress?: (line: string) => void;
}

const TOKEN = "soak-token";
const MAX_ATTEMPTS = 4;
const SEEDED_USERS = 50;
/** Per-call flags, one byte per call, allocated before the heap baseline. */
const HIT = 1; // an attempt failed, or the call did
const IDEMPOTENT = 2;
const OK = 4;
const STALLED = 8; // event-loop stalls took a third of its deadline or more
/** A call whose window held this share of its deadline in event-loop stalls lost its time to the machine, not the network. */
const STALLED_SHARE = 1 / 3;

type Kind = "getUser" | "listUsers" | "createUser" | "rawCreate";
// A real app's mix: mostly reads, a third writes. createUser goes through the
// user client (a request_id, so retried); rawCreate has none: nothing may send it twice.
const MIX: [Kind, number][] = [
  ["getUser", 45],
  ["listUsers", 20],
  ["createUser", 20],
  ["rawCreate", 15],
];
/** The codes a fault may honestly end a call with: the connection failed, or the deadline passed. */
const EXPECTED_CODES = new Set([Code.Unavailable, Code.DeadlineExceeded]);

/**
 * Runs the fault-injecting proxy soak: a peer process with the reference
 * server and a faulty TCP proxy in front, and here one transport (our gRPC
 * transport, maxAttempts 4) making `calls` unary calls of a realistic mix,
 * each with a deadline, while `watches` WatchUsers watches run throughout.
 * Resolves with the figures; {@link checkSoakGoals} says which goals they miss.
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakReport> {
  const calls = options.calls ?? 50_000;
  const concurrency = options.concurrency ?? 32;
  const watches = options.watches ?? 3;
  const timeoutMs = options.timeoutMs ?? 2500;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = createSeededRandom(seed);
  const progress = options.progress ?? (() => {});
  const peer = await startSoakPeer({
    token: TOKEN,
    seed,
    connectionFaultEveryRequests: options.connectionFaultEveryRequests ?? 120,
    longStallMs: timeoutMs * 2,
  });
  try {
    return await soakAgainst(peer, { calls, concurrency, watches, timeoutMs, seed, random, progress });
  } finally {
    await peer.stop();
  }
}

async function soakAgainst(
  peer: Awaited<ReturnType<typeof startSoakPeer>>,
  o: {
    calls: number;
    concurrency: number;
    watches: number;
    timeoutMs: number;
    seed: number;
    random: () => number;
    progress: (line: string) => void;
  },
): Promise<SoakReport> {
  const flags = new Uint8Array(o.calls);
  const codes: Record<string, number> = {};
  const unexpected: Record<string, number> = {};
  const idempotentFailures: Record<string, number> = {};
  const attemptFailed = new Set<string>();
  let lost = 0;
  let settledAfterLost = 0;
  let late = 0;
  let lateExplained = 0;
  let worstLateMs = 0;
  let alreadyExists = 0;
  let retriedCalls = 0;

  // Innermost, once per attempt: an attempt the connection failed (any code
  // but the call's own deadline) marks its call as hit by a connection fault.
  const attempts = new Map<string, number>();
  const observeAttempts: Interceptor = (next) => async (req) => {
    const call = req.header.get(SOAK_CALL_HEADER);
    if (call !== null) attempts.set(call, (attempts.get(call) ?? 0) + 1);
    try {
      return await next(req);
    } catch (e) {
      if (call !== null && ConnectError.from(e).code !== Code.DeadlineExceeded) attemptFailed.add(call);
      throw e;
    }
  };
  // Seeding and warm-up on a transport of their own, set up as the measured
  // one and closed before the heap baseline, so code loaded and compiled on
  // first use (every call kind, a watch left early) is not counted as growth.
  const userIds: string[] = [];
  const seedingStarted = performance.now();
  {
    const warm = createTransport({
      baseUrl: peer.url,
      auth: TOKEN,
      retry: { maxAttempts: 10, throttle: false },
      interceptors: [observeAttempts],
    });
    const users = createUserClient(warm);
    const rawWarm = createClient(UserService, warm);
    let tries = 0;
    const seeder = async () => {
      while (userIds.length < SEEDED_USERS && tries < SEEDED_USERS * 20) {
        const i = tries++;
        try {
          const { id } = await users.createUser({ email: `seed-${o.seed}-${i}@soak.test`, name: `seed ${i}` }, { timeoutMs: 5000 });
          await users.getUser(id, { timeoutMs: 5000 });
          userIds.push(id);
        } catch {
          // a fault got through ten attempts; the next seed user will do
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, seeder));
    const warmOptions = { timeoutMs: 5000, headers: { [SOAK_CALL_HEADER]: "warm" } };
    for (let i = 0; i < 20; i++) {
      await users.listUsers({ pageSize: 5 }, warmOptions).catch(() => {});
      await rawWarm.createUser({ email: `warm-${o.seed}-${i}@soak.test`, name: "warm" }, warmOptions).catch(() => {});
    }
    try {
      for await (const _ of users.watchUsers({ sinceSequence: 1n }, { headers: warmOptions.headers })) break;
    } catch {
      // a fault ended it; the code is loaded all the same
    }
    attempts.clear();
    attemptFailed.clear();
    await users.close();
    await warm.close();
    if (userIds.length < SEEDED_USERS) throw new Error(`could only seed ${userIds.length} users`);
  }
  o.progress(`seeded ${userIds.length} users in ${Math.round(performance.now() - seedingStarted)} ms`);

  const stalls = startStallMonitor();
  await settle();
  const heapBefore = heapUsed();
  const handlesBefore = countOpenHandles();

  const transport = createTransport({
    baseUrl: peer.url,
    auth: TOKEN,
    // The retry throttle (gRFC A6) is meant to stop retries once a server fails
    // more than ~9% of calls; this soak faults more than that on purpose, and
    // asks whether each call recovers within its attempts, so it is off here.
    retry: { maxAttempts: MAX_ATTEMPTS, throttle: false },
    interceptors: [observeAttempts],
  });
  const users = createUserClient(transport);
  const raw = createClient(UserService, transport);

  // Watches, from the sequence the seeding reached: each must see every later event once, in order.
  const startSequence = BigInt((await peer.stats()).lastSequence);
  let target: bigint | undefined;
  const watchFigures: WatchFigures[] = [];
  const watchRuns = Array.from({ length: o.watches }, (_, w) => {
    const figures: WatchFigures = { events: 0, gaps: 0, repeats: 0, resumes: 0, resumeCodes: {}, reachedEnd: false, endedEarly: undefined };
    watchFigures.push(figures);
    const stop = new AbortController();
    const run = (async () => {
      let last = startSequence;
      try {
        for await (const event of users.watchUsers(
          { sinceSequence: startSequence },
          {
            signal: stop.signal,
            headers: { [SOAK_CALL_HEADER]: `watch-${w}` },
            onResume: ({ error }) => {
              figures.resumes++;
              figures.resumeCodes[Code[error.code]] = (figures.resumeCodes[Code[error.code]] ?? 0) + 1;
            },
          },
        )) {
          if (event.sequence <= last) figures.repeats++;
          else if (event.sequence !== last + 1n) figures.gaps++;
          last = event.sequence > last ? event.sequence : last;
          figures.events++;
          // Leaving the loop early, as an app does: issue 13 item 4 left such a call counted active for good.
          if (target !== undefined && last >= target) {
            figures.reachedEnd = true;
            break;
          }
        }
        if (!figures.reachedEnd) figures.endedEarly = "the stream ended";
      } catch (e) {
        if (!stop.signal.aborted) figures.endedEarly = `${Code[ConnectError.from(e).code]}: ${ConnectError.from(e).rawMessage}`;
      }
    })();
    return { run, stop };
  });

  const startedAt = performance.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < o.calls) {
      const i = next++;
      const id = String(i);
      let roll = o.random() * 100;
      const kind = MIX.find(([, w]) => (roll -= w) < 0)?.[0] ?? "getUser";
      if (kind === "getUser" || kind === "listUsers") flags[i]! |= IDEMPOTENT;
      const callOptions = { timeoutMs: o.timeoutMs, headers: { [SOAK_CALL_HEADER]: id } };
      const email = `soak-${o.seed}-${i}@soak.test`;
      const started = performance.now();
      const call: Promise<unknown> =
        kind === "getUser"
          ? users.getUser(userIds[Math.floor(o.random() * userIds.length)]!, callOptions)
          : kind === "listUsers"
            ? users.listUsers({ pageSize: 5 }, callOptions)
            : kind === "createUser"
              ? users.createUser({ email, name: `soak ${i}` }, callOptions)
              : raw.createUser({ email, name: `soak ${i}` }, callOptions);
      // A call that has neither succeeded nor failed this long after its deadline is lost.
      const dog = watchdog(o.timeoutMs * 1.1 + 2000);
      const outcome = await Promise.race([
        call.then(
          () => "ok" as const,
          (e: unknown) => ConnectError.from(e),
        ),
        dog.fired,
      ]);
      dog.cancel();
      const ended = performance.now();
      if (outcome === "lost") {
        lost++;
        void call.then(
          () => settledAfterLost++,
          () => settledAfterLost++,
        );
      } else if (outcome === "ok") {
        flags[i]! |= OK;
        codes.OK = (codes.OK ?? 0) + 1;
      } else {
        // A call that ran out of time with no failed attempt met a delay, not a connection fault.
        if (outcome.code !== Code.DeadlineExceeded) flags[i]! |= HIT;
        const name = Code[outcome.code];
        codes[name] = (codes[name] ?? 0) + 1;
        if (outcome.code === Code.AlreadyExists) alreadyExists++;
        const stalledMs = stalls.stalledMsWithin(started, performance.now());
        if (outcome.code === Code.DeadlineExceeded && stalledMs >= o.timeoutMs * STALLED_SHARE) flags[i]! |= STALLED;
        if (flags[i]! & IDEMPOTENT) {
          const stalled = Math.round(stalledMs / 100) * 100;
          const hit = attemptFailed.has(id) ? "after a connection fault" : "no failed attempt";
          count(
            idempotentFailures,
            `${Code[outcome.code]}, ${hit}, ${attempts.get(id) ?? 0} attempts, ~${stalled} ms of event-loop stalls: ${outcome.rawMessage.slice(0, 90)}`,
          );
        }
        if (!EXPECTED_CODES.has(outcome.code))
          unexpected[`${kind} ${name}: ${outcome.rawMessage.slice(0, 120)}`] =
            (unexpected[`${kind} ${name}: ${outcome.rawMessage.slice(0, 120)}`] ?? 0) + 1;
      }
      attempts.delete(id);
      if (attemptFailed.delete(id)) {
        flags[i]! |= HIT;
        retriedCalls++;
      }
      const overMs = ended - started - o.timeoutMs * 1.1;
      if (overMs > 0) {
        late++;
        worstLateMs = Math.max(worstLateMs, overMs);
        if (stalls.stalledMsWithin(started, ended) >= overMs) lateExplained++;
      }
      if (++done % 5000 === 0) o.progress(`${done} calls, ${Math.round((done / (performance.now() - startedAt)) * 1000)}/s`);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const callsMs = performance.now() - startedAt;
  o.progress(`${o.calls} calls in ${Math.round(callsMs)} ms`);
  const endStarted = performance.now();

  // A calm network for the end: the watches catch up, then each leaves its loop on the last event.
  await peer.quiet();
  await settle();
  // Nothing else creates now: the last create's event is the next sequence.
  target = BigInt((await peer.stats()).lastSequence) + 1n;
  await users.createUser({ email: `soak-${o.seed}-last@soak.test`, name: "last" }, { timeoutMs: 5000 });
  // A watch that has not caught up within 10 s is stopped (and reported as not reaching the end).
  const catchUp = setTimeout(
    () =>
      watchRuns.forEach((w) => {
        w.stop.abort();
      }),
    10_000,
  );
  await Promise.all(watchRuns.map((w) => w.run));
  clearTimeout(catchUp);

  o.progress(`watches stopped ${Math.round(performance.now() - endStarted)} ms after the calls`);
  // Everything settled: anything still counted active is a phantom.
  await settle();
  const phantomActiveCalls = transport.activeCalls();
  await users.close();
  const closeStarted = performance.now();
  await transport.close();
  const closeMs = performance.now() - closeStarted;
  const stallSummary = stalls.stop();
  await settle(300);
  const handlesAfter = countOpenHandles();
  const lingeringSockets = describeSockets();
  const heapAfter = heapUsed();
  const peerStats: PeerStats = await peer.stats();

  // Server-side faults hit calls whose attempts all succeeded too (a stall, a
  // graceful GOAWAY): they count as faulted, not as needing to recover.
  const longStalled = new Set(peerStats.longStalledCalls);
  const faulted = new Uint8Array(o.calls);
  for (let i = 0; i < o.calls; i++) if (flags[i]! & HIT || !(flags[i]! & OK)) faulted[i] = 1;
  for (const id of peerStats.faultedCalls) {
    const i = Number(id);
    if (Number.isInteger(i) && i >= 0 && i < o.calls) faulted[i] = 1;
  }
  let faultedCalls = 0;
  let hitIdempotent = 0;
  let recovered = 0;
  let lostToStalls = 0;
  for (let i = 0; i < o.calls; i++) {
    faultedCalls += faulted[i]!;
    // A long stall holds one attempt past the deadline on purpose: DEADLINE_EXCEEDED is its right answer.
    if ((flags[i]! & (HIT | IDEMPOTENT)) === (HIT | IDEMPOTENT) && !longStalled.has(String(i))) {
      // Out of time because this process's event loop was stalled for a third of the deadline: reported, not counted.
      if (flags[i]! & STALLED) {
        lostToStalls++;
        continue;
      }
      hitIdempotent++;
      if (flags[i]! & OK) recovered++;
    }
  }

  return {
    seed: o.seed,
    calls: o.calls,
    concurrency: o.concurrency,
    timeoutMs: o.timeoutMs,
    maxAttempts: MAX_ATTEMPTS,
    callsMs: Math.round(callsMs),
    codes,
    unexpectedCodes: unexpected,
    faultedCalls,
    retriedCalls,
    faults: {
      connection: peerStats.scheduled,
      fired: peerStats.fired,
      refusedStreams: peerStats.refused,
      stalls: peerStats.stalls,
      longStalls: peerStats.longStalls,
      proxyConnectionsAccepted: peerStats.proxyAccepted,
    },
    lost,
    settledAfterLost,
    late,
    lateExplainedByStalls: lateExplained,
    worstLateMs: Math.round(worstLateMs),
    eventLoop: stallSummary,
    duplicates: { rawCreatesRunTwice: peerStats.rawCreatesRunTwice.length, alreadyExists },
    createRuns: peerStats.createRuns,
    usersCreated: peerStats.usersCreated,
    idempotentHit: hitIdempotent,
    idempotentRecovered: recovered,
    idempotentFailures,
    idempotentOutOfTimeInStalls: lostToStalls,
    watches: watchFigures,
    connectionFaultsSeen:
      peerStats.scheduled.reset + peerStats.scheduled.fin + peerStats.fired["goaway-error"] + peerStats.fired["drop-after-create"],
    phantomActiveCalls,
    closeMs: Math.round(closeMs * 10) / 10,
    socketsAfterClose: Math.max(0, handlesAfter.sockets - handlesBefore.sockets),
    proxyConnectionsOpenAfterClose: peerStats.proxyConnectionsOpen,
    lingeringSockets,
    proxyLinksAfterClose: peerStats.openLinks,
    heapGrowthBytes: heapBefore === undefined || heapAfter === undefined ? undefined : heapAfter - heapBefore,
  };
}

/** This process's TCP sockets still open, each as "local -> remote (state)", to tell which connection leaked. */
function describeSockets(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles
    .filter((h): h is import("node:net").Socket => h instanceof Socket && h.remotePort !== undefined)
    .map((s) => `${s.localPort} -> ${s.remotePort} (${s.readyState}${s.destroyed ? ", destroyed" : ""}${s.pending ? ", pending" : ""})`);
}

function count(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

function watchdog(ms: number): { fired: Promise<"lost">; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const fired = new Promise<"lost">((resolve) => (timer = setTimeout(() => resolve("lost"), ms)));
  return { fired, cancel: () => clearTimeout(timer) };
}

function settle(ms = 100): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Heap in use after a full collection, when node runs with --expose-gc; else undefined. */
function heapUsed(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return undefined;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
