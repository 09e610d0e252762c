import type { ScenarioResult } from "../scenarios/scenario-spec.js";
import type { StackName } from "../stacks/bench-client.js";

/** Every sample of a run: one value per (scenario, metric, stack) and process. */
export interface SampleStore {
  add(stack: StackName, result: ScenarioResult): void;
  /** The samples, in the order measured; empty when none. */
  get(scenario: string, metric: string, stack: StackName): readonly number[];
  /** The metrics any stack reported for a scenario, in first-seen order. */
  metricsOf(scenario: string): string[];
}

export function createSampleStore(): SampleStore {
  const samples = new Map<string, Map<string, Map<StackName, number[]>>>();
  return {
    add(stack, result) {
      let byMetric = samples.get(result.scenario);
      if (byMetric === undefined) samples.set(result.scenario, (byMetric = new Map()));
      for (const [metric, value] of Object.entries(result.metrics)) {
        if (!Number.isFinite(value)) throw new Error(`${stack}, scenario ${result.scenario}: ${metric} is ${value}`);
        let byStack = byMetric.get(metric);
        if (byStack === undefined) byMetric.set(metric, (byStack = new Map()));
        let values = byStack.get(stack);
        if (values === undefined) byStack.set(stack, (values = []));
        values.push(value);
      }
    },
    get: (scenario, metric, stack) => samples.get(scenario)?.get(metric)?.get(stack) ?? [],
    metricsOf: (scenario) => [...(samples.get(scenario)?.keys() ?? [])],
  };
}
