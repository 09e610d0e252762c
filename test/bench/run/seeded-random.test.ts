import { describe, expect, it } from "vitest";
import { createSeededRandom, shuffled } from "../../../bench/run/seeded-random.js";

describe("createSeededRandom", () => {
  it("repeats its sequence for the same seed and differs for another", () => {
    const take = (seed: number) => Array.from({ length: 5 }, createSeededRandom(seed));
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
    for (const x of take(7)) expect(x >= 0 && x < 1).toBe(true);
  });
});

describe("shuffled", () => {
  it("returns a permutation and leaves the input alone", () => {
    const items = [1, 2, 3, 4, 5, 6];
    const result = shuffled(items, createSeededRandom(1));
    expect([...result].sort()).toEqual(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6]);
    expect(shuffled(items, createSeededRandom(1))).toEqual(result);
  });
});
