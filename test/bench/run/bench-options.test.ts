import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "../../../bench/run/bench-options.js";

const parse = (...argv: string[]) => parseBenchOptions(argv, () => 99);

describe("parseBenchOptions", () => {
  it("defaults to the full mode with a random seed and a build", () => {
    expect(parse()).toEqual({ mode: "full", seed: 99, build: true, profile: undefined, help: false });
  });

  it("reads quick mode, a seed and --no-build", () => {
    expect(parse("--quick", "--seed", "123", "--no-build")).toMatchObject({ mode: "quick", seed: 123, build: false });
  });

  it("reads a profile of several stacks with its window and rate", () => {
    expect(parse("--profile", "ours-full,raw-http2:unary-small-c16", "--profile-ms", "2000").profile).toEqual({
      stacks: ["ours-full", "raw-http2"],
      scenario: "unary-small-c16",
      durationMs: 2000,
      ratePerSec: 1000,
    });
  });

  it("rejects unknown arguments, stacks and scenarios by name", () => {
    expect(() => parse("--fast")).toThrow('unknown argument "--fast"');
    expect(() => parse("--profile", "ours:unary-small-c16")).toThrow('unknown stack "ours"');
    expect(() => parse("--profile", "grpc-js:unary-2k-c1")).toThrow('unknown scenario "unary-2k-c1"');
    expect(() => parse("--seed", "-1")).toThrow('--seed must be a positive integer, got "-1"');
    expect(() => parse("--seed")).toThrow("--seed needs a value");
  });
});
