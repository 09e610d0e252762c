import { describe, expect, it } from "vitest";
import { checkSoakGoals, formatSoakReport, type SoakReport, type WatchFigures } from "../../../bench/soak/soak-report.js";

const watch = (over: Partial<WatchFigures> = {}): WatchFigures => ({
  events: 900,
  gaps: 0,
  repeats: 0,
  resumes: 12,
  resumeCodes: { Unavailable: 12 },
  reachedEnd: true,
  endedEarly: undefined,
  ...over,
});

/** A report that meets every goal of issue 13. */
const passing = (over: Partial<SoakReport> = {}): SoakReport => ({
  seed: 1,
  calls: 50_000,
  concurrency: 32,
  timeoutMs: 2500,
  maxAttempts: 4,
  callsMs: 200_000,
  codes: { OK: 49_000, Unavailable: 900, DeadlineExceeded: 100 },
  unexpectedCodes: {},
  faultedCalls: 8000,
  retriedCalls: 7000,
  faults: { connection: {}, fired: {}, refusedStreams: 1000, stalls: 700, longStalls: 100, proxyConnectionsAccepted: 250 },
  lost: 0,
  settledAfterLost: 0,
  late: 3,
  lateExplainedByStalls: 3,
  worstLateMs: 120,
  eventLoop: { stalls: 10, stalledMs: 500, longestMs: 120, p50Ms: 10, p99Ms: 40, maxMs: 120 },
  duplicates: { rawCreatesRunTwice: 0, alreadyExists: 0 },
  createRuns: 17_000,
  usersCreated: 16_500,
  idempotentHit: 5000,
  idempotentRecovered: 4990,
  idempotentOutOfTimeInStalls: 2,
  idempotentFailures: {},
  watches: [watch(), watch()],
  connectionFaultsSeen: 200,
  phantomActiveCalls: 0,
  closeMs: 0.5,
  socketsAfterClose: 0,
  proxyConnectionsOpenAfterClose: 0,
  lingeringSockets: [],
  proxyLinksAfterClose: [],
  heapGrowthBytes: 1_500_000,
  ...over,
});

describe("checkSoakGoals", () => {
  it("finds nothing missed in a report that meets every goal", () => {
    const r = passing();
    expect(checkSoakGoals(r)).toEqual([]);
    expect(formatSoakReport(r, [])).toContain("goals: all met");
  });

  it.each<[string, Partial<SoakReport>, RegExp]>([
    ["too few calls", { calls: 49_999 }, /49999 calls made, fewer than 50000/],
    ["too few faulted", { faultedCalls: 4999 }, /of calls were faulted/],
    ["a lost call", { lost: 1 }, /1 calls lost/],
    ["a late call no stall explains", { late: 4 }, /1 calls past deadline \+ 10% with no event-loop stall/],
    ["a create run twice", { duplicates: { rawCreatesRunTwice: 1, alreadyExists: 0 } }, /1 creates without a request_id ran twice/],
    ["a create that met its own email", { duplicates: { rawCreatesRunTwice: 0, alreadyExists: 2 } }, /2 creates came back ALREADY_EXISTS/],
    ["a wrong code", { unexpectedCodes: { "getUser Canceled: x": 1 } }, /codes no fault explains/],
    ["a phantom call", { phantomActiveCalls: 3 }, /3 phantom active calls/],
    ["a slow close", { closeMs: 5000 }, /close\(\) took 5000 ms/],
    ["a socket left", { socketsAfterClose: 1, lingeringSockets: ["1 -> 2 (open)"] }, /1 sockets still open after close\(\): 1 -> 2/],
    [
      "a proxy link left",
      { proxyConnectionsOpenAfterClose: 1, proxyLinksAfterClose: ["client port 9"] },
      /proxy still holds 1 client connections/,
    ],
    ["a heap that grew", { heapGrowthBytes: 7 * 1024 * 1024 }, /heap grew by 7\.00 MiB/],
    ["too few recovered", { idempotentRecovered: 4949 }, /only 98\.98% of fault-hit idempotent calls recovered at maxAttempts 4/],
    ["nothing hit", { idempotentHit: 0, idempotentRecovered: 0 }, /no idempotent call was hit/],
    [
      "a watch that ended",
      { watches: [watch({ endedEarly: "Unavailable: gone", reachedEnd: false })] },
      /watch 0 ended: Unavailable: gone/,
    ],
    ["a watch with a gap", { watches: [watch({ gaps: 1 })] }, /watch 0 had 1 gaps/],
    ["no watch interrupted", { watches: [watch({ resumes: 0 })] }, /no watch was interrupted/],
  ])("misses a goal for %s", (_, over, expected) => {
    const missed = checkSoakGoals(passing(over));
    expect(missed.join("\n")).toMatch(expected);
    expect(formatSoakReport(passing(over), missed)).toContain("goals missed:");
  });

  it("checks a short run against its own length", () => {
    expect(checkSoakGoals(passing({ calls: 2000, faultedCalls: 400 }), { minCalls: 2000 })).toEqual([]);
  });

  it("does not check the heap when node ran without --expose-gc", () => {
    expect(checkSoakGoals(passing({ heapGrowthBytes: undefined }))).toEqual([]);
    expect(formatSoakReport(passing({ heapGrowthBytes: undefined }), [])).toContain("n/a (run node with --expose-gc)");
  });
});
