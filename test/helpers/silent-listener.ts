import * as net from "node:net";

/** Options for {@link startSilentListener}. */
export interface SilentListenerOptions {
  /** Loopback address to bind. Defaults to "127.0.0.1". */
  host?: string;
}

/** A TCP listener that accepts connections and never answers. */
export interface SilentListener {
  /** `http://host:port`, for a client's baseUrl. */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far (open or not). */
  connections(): number;
  /** Destroys every accepted socket and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a listener on port 0 that completes the TCP handshake and then says
 * nothing: an HTTP/2 client never gets the server's SETTINGS, which is how a
 * connect timeout (as opposed to a refused connection) looks from the client.
 * What the client sends is read and dropped, so its writes never block.
 */
export async function startSilentListener(options: SilentListenerOptions = {}): Promise<SilentListener> {
  const host = options.host ?? "127.0.0.1";
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // A client giving up resets the connection; that is expected, not a failure.
    socket.on("error", () => {});
    socket.resume();
  });
  const port = await listen(server, host);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    connections: () => accepted,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function listen(server: net.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
