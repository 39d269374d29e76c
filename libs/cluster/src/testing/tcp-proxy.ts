/**
 * Test harness: a loopback TCP proxy that a test can cut, to put a network partition between one
 * node and etcd while the rest of the cluster keeps talking to it (what a SIGSTOP or an etcd
 * restart cannot do: those cut everyone).
 *
 * - `cut('reset')` closes every connection and refuses new ones (a partition that clients see).
 * - `cut('blackhole')` keeps connections open but drops every byte both ways, and new
 *   connections hang (a partition nobody is told about; only timeouts notice).
 * - `heal()` forwards again (connections cut by 'reset' stay closed; clients reconnect).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

type Mode = 'open' | 'reset' | 'blackhole';

export class TcpProxy {
  private mode: Mode = 'open';
  private readonly pairs = new Set<[Socket, Socket]>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly targetPort: number,
  ) {}

  /** Listens on a free 127.0.0.1 port and forwards to 127.0.0.1:`targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = createServer((client) => proxy?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0, targetPort);
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  cut(how: 'reset' | 'blackhole'): void {
    this.mode = how;
    if (how === 'reset') {
      for (const [a, b] of this.pairs) {
        a.destroy();
        b.destroy();
      }
      this.pairs.clear();
    }
  }

  heal(): void {
    this.mode = 'open';
  }

  async close(): Promise<void> {
    this.cut('reset');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.mode === 'reset') {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk) => {
        if (this.mode === 'open') to.write(chunk);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
}
