import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { expect } from "vitest";
import { type Run, runUserctl } from "../helpers/spawn-userctl.js";
import { protocolCases, type RunningServer, startServer, TEST_TOKEN } from "../helpers/test-server.js";

/** A reference server for the spawned CLI, with the given server interceptors (faults). */
export function startCliServer(interceptors: Interceptor[] = []): Promise<RunningServer> {
  return startServer(protocolCases[0], { interceptors });
}

/** Runs `userctl --url <server> --token test-token ...args` (flags before the command). */
export function userctl(
  server: RunningServer,
  args: string[],
  options: { input?: string; token?: string | null; timeoutMs?: number } = {},
): Promise<Run> {
  const token = options.token === undefined ? TEST_TOKEN : options.token;
  return runUserctl(["--url", server.url, ...(token === null ? [] : ["--token", token]), ...args], {
    ...(options.input !== undefined && { input: options.input }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    env: { USERCTL_URL: "", USERCTL_TOKEN: "" },
  });
}

/** The lines of a run's stdout, each parsed as JSON (fails on a line that is not). */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Asserts the exit status, showing the output when it is not the expected one. */
export function expectExit(run: Run, code: number): void {
  expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(code);
}

/** Fails the first `times` calls of `method` with UNAVAILABLE, as a restarting server would. */
export function failFirst(method: string, times: number, log: string[] = []): Interceptor {
  let failed = 0;
  return (next) => async (req) => {
    if (req.method.name === method) {
      log.push(`${method} attempt ${failed + 1}`);
      if (failed < times) {
        failed++;
        throw new ConnectError(`injected failure ${failed} of ${method}`, Code.Unavailable);
      }
    }
    return await next(req);
  };
}

/** Holds every call of `method` until the client gives up on it. */
export function stall(method: string): Interceptor {
  return (next) => async (req) => {
    if (req.method.name === method) {
      await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve(), { once: true }));
      throw new ConnectError("stalled call abandoned by the client", Code.Canceled);
    }
    return await next(req);
  };
}

/** Creates a user through the test's own client and returns its id. */
export async function seedUser(server: RunningServer, email: string, name = email.split("@")[0]!): Promise<string> {
  const { user } = await server.users.createUser({ email, name, age: 30, roles: ["dev"] }, server.auth);
  return user!.id;
}
