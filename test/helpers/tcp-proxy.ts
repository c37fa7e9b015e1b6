import net from 'node:net';

// A loopback TCP proxy in front of mongod that a test can cut (every connection dropped, new ones refused)
// and restore: a real network outage for the app, without disturbing the shared test mongod.
export interface TcpProxy {
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Joins an accepted connection to a new one to 127.0.0.1:`port`; both are tracked in `sockets` until closed. */
export function splice(client: net.Socket, port: number, sockets: Set<net.Socket>): void {
  const upstream = net.connect(port, '127.0.0.1');
  for (const socket of [client, upstream]) {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }
  client.pipe(upstream).pipe(client);
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let open = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    splice(client, targetPort, sockets);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
