import { type CallFrame, classifyFrame } from "./classify-frame.js";

/** The parts of a `.cpuprofile` (V8 Profiler.Profile JSON) used here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  /** µs from the previous sample (from startTime for the first). */
  timeDeltas: number[];
}

/** Self time of one function or group. */
export interface SelfTime {
  name: string;
  group: string;
  selfUs: number;
}

export interface ProfileSummary {
  /** Sampled time, idle excluded. */
  busyUs: number;
  idleUs: number;
  /** By group, largest first, idle excluded. */
  groups: SelfTime[];
  /**
   * By the package responsible: time in Node internals and V8 builtins is
   * charged to the nearest calling frame of a package (ours, connect, ...),
   * e.g. an AbortController that connect creates counts for connect. Work
   * with no such caller (the event loop, GC, program) keeps its group.
   */
  responsible: SelfTime[];
  /** By function (name, file and line), largest first, idle excluded. */
  functions: SelfTime[];
}

/** Groups whose time belongs to whoever called them (GC and program have no caller in the profile). */
const runtimeGroups = new Set(["node internals", "node http2", "v8 builtins", "root"]);

/**
 * Self time per function and per group (see classifyFrame). A sample lasts
 * until the next one (V8's timeDeltas[i + 1]), as DevTools counts it; the
 * last sample gets none.
 */
export function summariseProfile(profile: CpuProfile): ProfileSummary {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const responsibleOf = new Map<number, string>();
  const responsible = (id: number, group: string): string => {
    let cached = responsibleOf.get(id);
    if (cached === undefined) {
      cached = group;
      for (let up = parents.get(id); up !== undefined; up = parents.get(up)) {
        const upGroup = classifyFrame(frames.get(up)!);
        if (!runtimeGroups.has(upGroup)) {
          cached = upGroup;
          break;
        }
      }
      responsibleOf.set(id, cached);
    }
    return cached;
  };
  const byFunction = new Map<string, SelfTime>();
  const byGroup = new Map<string, number>();
  const byResponsible = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const frame = frames.get(profile.samples[i]!);
    if (frame === undefined) throw new Error(`sample ${i} names node ${profile.samples[i]}, which the profile lacks`);
    const group = classifyFrame(frame);
    if (group === "idle") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    const charged = runtimeGroups.has(group) ? responsible(profile.samples[i]!, group) : group;
    byResponsible.set(charged, (byResponsible.get(charged) ?? 0) + us);
    const name = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ""}`.trim();
    const entry = byFunction.get(name) ?? { name, group, selfUs: 0 };
    entry.selfUs += us;
    byFunction.set(name, entry);
  }
  const largestFirst = (a: SelfTime, b: SelfTime) => b.selfUs - a.selfUs;
  return {
    busyUs,
    idleUs,
    groups: [...byGroup].map(([group, selfUs]) => ({ name: group, group, selfUs })).sort(largestFirst),
    responsible: [...byResponsible].map(([group, selfUs]) => ({ name: group, group, selfUs })).sort(largestFirst),
    functions: [...byFunction.values()].sort(largestFirst),
  };
}

/** The end of a script URL that says where it is: "connect/dist/esm/protocol/envelope.js", "node:internal/http2/core". */
function shortUrl(url: string): string {
  const inPackage = /\/node_modules\/(.+)$/.exec(url)?.[1];
  if (inPackage !== undefined) return inPackage.replace(/^@[^/]+\//, "");
  const dist = /\/(dist\/.+)$/.exec(url)?.[1];
  if (dist !== undefined) return dist;
  const bench = /\/bench-build\/(bench\/.+)$/.exec(url)?.[1];
  return bench ?? url;
}
