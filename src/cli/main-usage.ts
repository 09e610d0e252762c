/** The usage of userctl as a whole: global flags, commands and exit statuses. */
export const usage = `usage: userctl [global flags] COMMAND [args]

global flags (before the command):
  --url URL             target (default: $USERCTL_URL, else http://127.0.0.1:50051)
  --protocol P          grpc | grpc-web | connect (default grpc)
  --token T             bearer token (default: $USERCTL_TOKEN)
  --timeout MS          deadline for the call, every retry included
  --max-attempts N      attempts per call, 1 to 10; 1 disables retries (default 4)
  --json                machine output: one proto3 JSON message per line
  -H, --header 'k: v'   extra request header, repeatable
  --ca F                PEM CA certificate(s) to trust (https:// only)
  --cert F --key F      PEM client certificate and key for mutual TLS
  --connect-timeout MS  give up connecting after MS (default 20000); a shorter --timeout wins
  --trace               print the trace tree of each call (spans per attempt, backoff,
                        status, timing) to stderr; needs @opentelemetry/api installed
  -h, --help            show this help

commands:
  get ID                 show one user
  list                   list users, one page or --all
  create                 create a user
  update ID              change some fields of a user
  delete ID              delete a user
  watch [ID...]          stream change events
  bulk-create [FILE|-]   create users from JSON lines (client streaming)
  sync [FILE|-]          update users from JSON lines (bidirectional streaming)
  health [SERVICE]       check (or --watch) the server's health

commands for any service (schema from server reflection, or --proto / --descriptor-set):
  list --services        list the server's services
  list SERVICE           list a service's methods
  describe SYMBOL        show a service, method, message or enum
  call SERVICE/METHOD [JSON|-]
                         call any method: unary, server/client streaming, bidi (JSON lines)

run a server:
  serve                  run the reference UserService server (gRPC, gRPC-Web, Connect on one port)
  tour                   start a server in-process and walk every RPC (what npm start runs)

exit status: 0 on success; the gRPC code when a call fails (3 invalid_argument,
4 deadline_exceeded, 5 not_found, 14 unavailable, 16 unauthenticated, ...);
2 when health is not SERVING; 64 on usage errors; 65 when bulk-create or sync
had failed items.

Run 'userctl COMMAND --help' for a command's flags.`;
