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
  /**
   * The proxied connections open now, each with its own faults, so a soak
   * can break one connection while the others carry on.
   */
  links(): ProxyLink[];
  /** Proxied connections open now. */
  connections(): number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** One proxied connection, with faults that hit it alone. */
export interface ProxyLink {
  /** The client's port: which connection this is, seen from the client. */
  readonly clientPort: number;
  /** The proxy's port towards the target: the `remotePort` the target's socket sees. */
  readonly upstreamPort: number;
  /** performance.now() when the proxy accepted it. */
  readonly openedAtMs: number;
  /** Sends the client an RST (ECONNRESET) and drops the upstream side. */
  reset(): void;
  /** Drops the upstream side and sends the client a FIN once the bytes already read are written. */
  finish(): void;
  /** Stops forwarding both ways for `ms`, then goes on: nothing is lost, only late. */
  delay(ms: number): void;
}

/** One client connection and its upstream twin. */
interface Link {
  client: net.Socket;
  upstream: net.Socket;
  /** Until when a delay() holds this link, in performance.now() time. */
  heldUntil: number;
  openedAtMs: number;
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
    // No Nagle on either side, as proxies do (Envoy sets TCP_NODELAY): small
    // HTTP/2 frames would otherwise wait for the peer's delayed ACK, ~40 ms each.
    client.setNoDelay(true);
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    // Paused explicitly, so the 'data' listeners below do not start the flow
    // before we know whether the proxy is frozen.
    client.pause();
    upstream.pause();
    const link: Link = { client, upstream, heldUntil: 0, openedAtMs: performance.now() };
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
    const held = () => frozen || performance.now() < link.heldUntil;
    forward(client, upstream, held);
    forward(upstream, client, held);
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
      for (const link of links) if (performance.now() >= link.heldUntil) resumeLink(link);
    },
    cutAll(cutOptions = {}) {
      for (const link of [...links]) {
        links.delete(link);
        if (cutOptions.reset) link.client.resetAndDestroy();
        else link.client.destroy();
        link.upstream.destroy();
      }
    },
    links: () =>
      [...links]
        .filter(({ client, upstream }) => !client.destroyed && !upstream.destroyed)
        .map((link) => ({
          clientPort: link.client.remotePort ?? 0,
          upstreamPort: link.upstream.localPort ?? 0,
          openedAtMs: link.openedAtMs,
          reset() {
            links.delete(link);
            link.client.resetAndDestroy();
            link.upstream.destroy();
          },
          finish() {
            links.delete(link);
            // The upstream 'close' handler ends the client side after a flush: a FIN, not an RST.
            link.upstream.destroy();
          },
          delay(ms) {
            link.heldUntil = Math.max(link.heldUntil, performance.now() + ms);
            link.client.pause();
            link.upstream.pause();
            // A timer may fire a little before performance.now() says it is due:
            // wait out the rest rather than leave the link held for good.
            const release = () => {
              const left = link.heldUntil - performance.now();
              if (left > 0) setTimeout(release, Math.ceil(left)).unref();
              else if (!frozen) resumeLink(link);
            };
            setTimeout(release, ms).unref();
          },
        })),
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
