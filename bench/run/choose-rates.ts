import { MESSAGE_SIZES, type MessageSize } from "../protocol/bench-messages.js";
import type { SampleStore } from "../report/sample-store.js";
import { median } from "../stats.js";
import type { StackName } from "../stacks/bench-client.js";
import { CONCURRENCIES, unaryName } from "./bench-plan.js";

/**
 * The fixed rate of each latency scenario, the same for every stack: a
 * fraction of the slowest stack's capacity for that size, measured earlier
 * in the same run (capacity = its best median closed-loop calls/s over the
 * concurrencies), rounded down to two significant digits.
 */
export function chooseRates(store: SampleStore, stacks: readonly StackName[], fraction: number): Record<MessageSize, number> {
  const rates = {} as Record<MessageSize, number>;
  for (const size of MESSAGE_SIZES) {
    const capacities = stacks.map((stack) => {
      const medians = CONCURRENCIES.map((c) => store.get(unaryName(size, c), "callsPerSec", stack))
        .filter((s) => s.length > 0)
        .map(median);
      if (medians.length === 0) throw new Error(`no closed-loop calls/s for ${stack} at size ${size}: cannot choose a fixed rate`);
      return Math.max(...medians);
    });
    rates[size] = floorToTwoDigits(Math.min(...capacities) * fraction);
  }
  return rates;
}

/** 1834 -> 1800, 437 -> 430, 9.7 -> 9; at least 1. */
export function floorToTwoDigits(value: number): number {
  if (value < 10) return Math.max(1, Math.floor(value));
  const unit = 10 ** (Math.floor(Math.log10(value)) - 1);
  return Math.floor(value / unit) * unit;
}
