import { Code, ConnectError, createClient, createRouterTransport, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import {
  DeadlineExceededError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnavailableError,
  UnknownError,
  toTypedError,
} from "../../src/errors/index.js";
import { createTypedErrorInterceptor } from "../../src/interceptors/typed-error-interceptor.js";

type UserServiceImpl = Partial<ServiceImpl<typeof UserService>>;

function clientFor(impl: UserServiceImpl, interceptors: Interceptor[] = [createTypedErrorInterceptor()]) {
  const transport = createRouterTransport(({ service }) => service(UserService, impl), {
    transport: { interceptors },
  });
  return createClient(UserService, transport);
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail");
}

describe("createTypedErrorInterceptor", () => {
  it("types a unary error and decodes its BadRequest field violations", async () => {
    const client = clientFor({
      createUser() {
        throw new ConnectError("invalid argument: email", Code.InvalidArgument, undefined, [
          {
            desc: BadRequestSchema,
            value: {
              fieldViolations: [{ field: "email", description: "must be an email address", reason: "INVALID_EMAIL" }],
            },
          },
        ]);
      },
    });
    const err = await caught(client.createUser({ email: "nope" }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err).toBeInstanceOf(ConnectError);
    const typed = err as InvalidArgumentError;
    expect(typed.rawMessage).toBe("invalid argument: email");
    expect(typed.fieldViolations).toEqual([{ field: "email", description: "must be an email address", reason: "INVALID_EMAIL" }]);
    expect(typed.retryable).toBe(false);
  });

  it("decodes RetryInfo into retryDelayMs and marks ResourceExhausted retryable", async () => {
    const client = clientFor({
      listUsers() {
        throw new ConnectError("quota for list_users exhausted", Code.ResourceExhausted, undefined, [
          { desc: RetryInfoSchema, value: { retryDelay: { seconds: 2n, nanos: 250_000_000 } } },
        ]);
      },
    });
    const err = await caught(client.listUsers({}));
    expect(err).toBeInstanceOf(ResourceExhaustedError);
    expect((err as ResourceExhaustedError).retryDelayMs).toBe(2250);
    expect((err as ResourceExhaustedError).retryable).toBe(true);
  });

  it("decodes ErrorInfo and keeps the error's metadata", async () => {
    const client = clientFor({
      deleteUser(req) {
        throw new ConnectError(`user ${req.userId} may not be deleted`, Code.PermissionDenied, { "x-request-id": "r-7" }, [
          {
            desc: ErrorInfoSchema,
            value: { reason: "ADMIN_REQUIRED", domain: "users.example.com", metadata: { userId: req.userId } },
          },
        ]);
      },
    });
    const err = await caught(client.deleteUser({ userId: "u-42" }));
    expect(err).toBeInstanceOf(PermissionDeniedError);
    const typed = err as PermissionDeniedError;
    expect(typed.errorInfo).toEqual({
      reason: "ADMIN_REQUIRED",
      domain: "users.example.com",
      metadata: { userId: "u-42" },
    });
    expect(typed.metadata.get("x-request-id")).toBe("r-7");
  });

  it("types an error that ends a server stream after some messages", async () => {
    const client = clientFor({
      async *watchUsers() {
        yield { sequence: 1n };
        yield { sequence: 2n };
        throw new ConnectError("user service draining", Code.Unavailable);
      },
    });
    const log: string[] = [];
    const err = await caught(
      (async () => {
        for await (const res of client.watchUsers({})) log.push(`message ${res.sequence}`);
      })(),
    );
    log.push(`error ${(err as ConnectError).code}`);
    expect(log).toEqual(["message 1", "message 2", `error ${Code.Unavailable}`]);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).retryable).toBe(true);
  });

  it("types an error that fails a stream before its first message", async () => {
    const client = clientFor({
      // biome-ignore lint/correctness/useYield: a stream that fails before its first message
      async *watchUsers(req) {
        throw new ConnectError(`user ${req.userIds[0] ?? ""} not found`, Code.NotFound);
      },
    });
    const err = await caught(
      (async () => {
        for await (const _ of client.watchUsers({ userIds: ["u-42"] })) {
          // no messages expected
        }
      })(),
    );
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).rawMessage).toBe("user u-42 not found");
  });

  it("types a client-streaming error", async () => {
    const client = clientFor({
      async bulkCreateUsers(requests) {
        for await (const _ of requests) {
          // drain
        }
        throw new ConnectError("bulk create is disabled", Code.Unavailable);
      },
    });
    async function* requests() {
      yield { email: "a@example.com" };
    }
    expect(await caught(client.bulkCreateUsers(requests()))).toBeInstanceOf(UnavailableError);
  });

  it("converts a non-Connect error from an inner interceptor, keeping it as cause", async () => {
    const bug = new TypeError("cannot read properties of undefined");
    const throwing: Interceptor = () => () => Promise.reject(bug);
    const client = clientFor({ getUser: () => ({}) }, [createTypedErrorInterceptor(), throwing]);
    const err = await caught(client.getUser({ userId: "u-42" }));
    expect(err).toBeInstanceOf(UnknownError);
    expect((err as UnknownError).rawMessage).toBe("cannot read properties of undefined");
    expect((err as UnknownError).cause).toBe(bug);
  });

  it("passes successful calls through untouched", async () => {
    const client = clientFor({
      getUser: (req) => ({ user: { id: req.userId } }),
      async *watchUsers() {
        yield { sequence: 1n };
      },
    });
    expect((await client.getUser({ userId: "u-42" })).user?.id).toBe("u-42");
    const sequences: bigint[] = [];
    for await (const res of client.watchUsers({})) sequences.push(res.sequence);
    expect(sequences).toEqual([1n]);
  });

  it("uses the given retryableCodes", async () => {
    const client = clientFor({ getUser: () => Promise.reject(new ConnectError("busy", Code.Unavailable)) }, [
      createTypedErrorInterceptor({ retryableCodes: [Code.Aborted] }),
    ]);
    const err = await caught(client.getUser({}));
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).retryable).toBe(false);
  });

  it("rejects invalid options when created, not on the first error", () => {
    expect(() => createTypedErrorInterceptor({ retryableCodes: [0 as Code] })).toThrow("invalid retryableCodes: 0 is not a Connect code");
  });

  // connect-es replaces the error of a call whose signal fired (deadline or
  // caller's abort) with the signal's reason after all interceptors ran, so
  // the client has to convert these errors itself.
  it("cannot type deadline errors, which callers convert with toTypedError", async () => {
    const client = clientFor({
      getUser: (_req, ctx) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve({}), 5_000);
          ctx.signal.addEventListener("abort", () => clearTimeout(timer));
        }),
    });
    const err = await caught(client.getUser({}, { timeoutMs: 10 }));
    expect(err).toBeInstanceOf(ConnectError);
    expect(err).not.toBeInstanceOf(DeadlineExceededError);
    expect(toTypedError(err)).toBeInstanceOf(DeadlineExceededError);
  });
});
