import net from 'node:net';
import { splice } from './tcp-proxy.ts';

// A loopback load balancer: each new TCP connection goes to the next backend in turn (layer 4, like HAProxy in
// `mode tcp` with `balance roundrobin`). `pin(i)` sends new connections to one backend and drops the open ones,
// so a test can say which instance answers the next request even though fetch keeps connections alive.
export interface RoundRobinProxy {
  port: number;
  url: string;
  /** Connections accepted per backend, in the order of `targets`. */
  connections: number[];
  pin(index: number | undefined): Promise<void>;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(targets: number[]): Promise<RoundRobinProxy> {
  const sockets = new Set<net.Socket>();
  const connections = targets.map(() => 0);
  let next = 0;
  let pinned: number | undefined;
  const server = net.createServer((client) => {
    const index = pinned ?? next++ % targets.length;
    connections[index]! += 1;
    splice(client, targets[index]!, sockets);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const dropAll = async () => {
    for (const socket of sockets) socket.destroy();
    // Let the client side see the closes before the next request picks a pooled connection.
    await new Promise((resolve) => setTimeout(resolve, 30));
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections,
    async pin(index) {
      pinned = index;
      await dropAll();
    },
    close: async () => {
      await dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
