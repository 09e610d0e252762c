import * as net from "node:net";

/** Options for {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Where every accepted connection is forwarded. Required. */
  target: { host: string; port: number };
  /** Loopback address to bind. Defaults to "127.0.0.1". */
  host?: string;
}

/** A TCP proxy in front of one target, with switches to make the network misbehave. */
export interface TcpProxy {
  /** `http://host:port` of the proxy, for a client's baseUrl. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops forwarding bytes both ways but keeps both sockets open, like a peer
   * that died behind a NAT: the client sees silence, no FIN, no RST. Bytes
   * stay in the socket buffers (nothing is dropped, so the byte stream is
   * intact on {@link thaw}). Connections accepted while frozen are frozen too.
   */
  freeze(): void;
  /** Resumes forwarding; bytes held while frozen are delivered late. */
  thaw(): void;
  /**
   * Destroys every proxied connection, both sides. With `reset`, the client
   * side gets an RST (ECONNRESET) instead of a FIN. Defaults to a FIN.
   */
  cutAll(options?: { reset?: boolean }): void;
  /** Proxied connections open now. */
  connections(): number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** One client connection and its upstream twin. */
interface Link {
  client: net.Socket;
  upstream: net.Socket;
}

/** Starts a proxy on port 0 that forwards every connection to `options.target`. */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const host = options.host ?? "127.0.0.1";
  const { target } = options;
  if (!target || !Number.isInteger(target.port) || target.port <= 0) {
    throw new Error(`target must be { host, port } with a port > 0, got ${JSON.stringify(target)}`);
  }
  const links = new Set<Link>();
  // Every socket not closed yet, cut ones included, so close() can wait for all of them.
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let frozen = false;

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    accepted++;
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    // Paused explicitly, so the 'data' listeners below do not start the flow
    // before we know whether the proxy is frozen.
    client.pause();
    upstream.pause();
    const link: Link = { client, upstream };
    links.add(link);
    // An error on either side tears down both, as a middlebox would; the
    // errors themselves are the test's business, not ours. A clean close on
    // one side ends the other once what it still holds has been written.
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", fail).on("close", () => closeAfterFlush(upstream));
    upstream.on("error", fail).on("close", () => closeAfterFlush(client));
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => {
        sockets.delete(socket);
        if (client.closed && upstream.closed) links.delete(link);
      });
    }
    forward(client, upstream, () => frozen);
    forward(upstream, client, () => frozen);
    if (!frozen) resumeLink(link);
  });
  const port = await listen(server, host);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    freeze() {
      frozen = true;
      for (const { client, upstream } of links) {
        client.pause();
        upstream.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const link of links) resumeLink(link);
    },
    cutAll(cutOptions = {}) {
      for (const link of [...links]) {
        links.delete(link);
        if (cutOptions.reset) link.client.resetAndDestroy();
        else link.client.destroy();
        link.upstream.destroy();
      }
    },
    connections: () => links.size,
    accepted: () => accepted,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        const socketsClosed = [...sockets].map((socket) => new Promise((resolve) => socket.once("close", resolve)));
        for (const socket of sockets) socket.destroy();
        links.clear();
        await Promise.all([serverClosed, ...socketsClosed]);
      })();
      return closing;
    },
  };
}

/** Copies `from` to `to` with backpressure; half-close (FIN) is passed on. */
function forward(from: net.Socket, to: net.Socket, isFrozen: () => boolean): void {
  from.on("data", (chunk: Buffer) => {
    if (!to.write(chunk)) from.pause();
  });
  to.on("drain", () => {
    if (!isFrozen()) from.resume();
  });
  from.on("end", () => to.end());
}

function closeAfterFlush(socket: net.Socket): void {
  if (socket.destroyed || socket.writableFinished) socket.destroy();
  else socket.end(() => socket.destroy());
}

/** Resumes reading on both sides, except where the other side still needs to drain. */
function resumeLink({ client, upstream }: Link): void {
  if (!upstream.writableNeedDrain) client.resume();
  if (!client.writableNeedDrain) upstream.resume();
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
