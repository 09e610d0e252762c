import { formatFigure } from "../report/format-figure.js";
import type { ProfileSummary, SelfTime } from "./summarise-profile.js";

/** A profiled child: what it ran, how many operations it did (warm-up included) and its summary. */
export interface ProfiledRun {
  stack: string;
  scenario: string;
  /** Calls, messages or round trips over the whole process, so that per-operation figures cover the whole profile. */
  ops: number;
  file: string;
  summary: ProfileSummary;
}

const ms = (us: number) => formatFigure(us / 1000);
const perOp = (us: number, ops: number) => formatFigure(us / ops);
const percent = (us: number, total: number) => `${((us / total) * 100).toFixed(1)}%`;

/** Self time by group, then the top functions, for one profiled run. */
export function renderProfileSummary(run: ProfiledRun, topFunctions = 15): string {
  const { summary, ops } = run;
  const out = [
    `### ${run.stack} / ${run.scenario}`,
    "",
    `${run.file}: ${ops.toLocaleString("en-US")} operations, ${ms(summary.busyUs)} ms busy (${ms(summary.idleUs)} ms idle), ` +
      `${perOp(summary.busyUs, ops)} µs busy per operation. Self time (the function itself, not its callees):`,
    "",
    "| Group | self ms | % of busy | µs/op |",
    "| --- | ---: | ---: | ---: |",
    ...summary.groups.map((g) => `| ${g.name} | ${ms(g.selfUs)} | ${percent(g.selfUs, summary.busyUs)} | ${perOp(g.selfUs, ops)} |`),
    "",
    "The same time by responsible package (Node internals and V8 builtins charged to the package that called them):",
    "",
    "| Responsible | ms | % of busy | µs/op |",
    "| --- | ---: | ---: | ---: |",
    ...summary.responsible.map((g) => `| ${g.name} | ${ms(g.selfUs)} | ${percent(g.selfUs, summary.busyUs)} | ${perOp(g.selfUs, ops)} |`),
    "",
    `Top ${topFunctions} functions by self time:`,
    "",
    "| # | Function | Group | self ms | % of busy | µs/op |",
    "| ---: | --- | --- | ---: | ---: | ---: |",
    ...summary.functions
      .slice(0, topFunctions)
      .map(
        (f, i) =>
          `| ${i + 1} | \`${f.name}\` | ${f.group} | ${ms(f.selfUs)} | ${percent(f.selfUs, summary.busyUs)} | ${perOp(f.selfUs, ops)} |`,
      ),
  ];
  return out.join("\n");
}

/**
 * µs per operation by group for each run, and the difference of the first
 * run from `baseline` (e.g. ours minus the raw floor), largest first; then
 * the functions that add the most per operation over the baseline.
 */
export function renderProfileComparison(runs: readonly ProfiledRun[], baseline: ProfiledRun, topFunctions = 15): string {
  const subject = runs.find((r) => r !== baseline) ?? runs[0]!;
  const perOpOf = (run: ProfiledRun, list: (s: ProfileSummary) => SelfTime[]) =>
    new Map(list(run.summary).map((t) => [t.name, t.selfUs / run.ops]));
  const total = (run: ProfiledRun) => run.summary.busyUs / run.ops;
  const groupTable = (heading: string, list: (s: ProfileSummary) => SelfTime[]) => {
    const costs = runs.map((r) => perOpOf(r, list));
    const subjectCosts = perOpOf(subject, list);
    const baselineCosts = perOpOf(baseline, list);
    const extra = (name: string) => (subjectCosts.get(name) ?? 0) - (baselineCosts.get(name) ?? 0);
    const names = [...new Set(costs.flatMap((m) => [...m.keys()]))].sort((a, b) => extra(b) - extra(a));
    return [
      `| ${heading} | ${runs.map((r) => r.stack).join(" | ")} | ${subject.stack} − ${baseline.stack} |`,
      `| --- |${" ---: |".repeat(runs.length + 1)}`,
      ...names.map((g) => `| ${g} | ${costs.map((m) => formatFigure(m.get(g) ?? 0)).join(" | ")} | ${formatFigure(extra(g))} |`),
      `| **total** | ${runs.map((r) => formatFigure(total(r))).join(" | ")} | ${formatFigure(total(subject) - total(baseline))} |`,
    ];
  };
  const out = [
    `### ${subject.stack} vs ${baseline.stack}: busy CPU µs per operation (${subject.scenario})`,
    "",
    "By group of the function itself:",
    "",
    ...groupTable("Group", (s) => s.groups),
    "",
    "By responsible package (Node internals and V8 builtins charged to their caller):",
    "",
    ...groupTable("Responsible", (s) => s.responsible),
  ];
  const subjectFunctions = subject.summary.functions;
  const baselineFunctions = perOpOf(baseline, (s) => s.functions);
  const extraFunctions = subjectFunctions
    .map((f) => ({ ...f, extra: f.selfUs / subject.ops - (baselineFunctions.get(f.name) ?? 0) }))
    .sort((a, b) => b.extra - a.extra)
    .slice(0, topFunctions);
  out.push(
    "",
    `Functions adding the most self time per operation in ${subject.stack} over ${baseline.stack}:`,
    "",
    "| # | Function | Group | +µs/op |",
    "| ---: | --- | --- | ---: |",
    ...extraFunctions.map((f, i) => `| ${i + 1} | \`${f.name}\` | ${f.group} | ${formatFigure(f.extra)} |`),
  );
  return out.join("\n");
}
