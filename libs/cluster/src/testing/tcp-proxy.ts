/**
 * Test harness: a loopback TCP proxy that a test can cut, to put a network partition between one
 * node and etcd while the rest of the cluster keeps talking to it (what a SIGSTOP or an etcd
 * restart cannot do: those cut everyone).
 *
 * - `cut('reset')` closes every connection and refuses new ones (a partition that clients see).
 * - `cut('blackhole')` stops moving bytes both ways but keeps connections open, and new ones
 *   are accepted and stalled (a partition nobody is told about; only timeouts notice). As with
 *   TCP over a real partition, nothing is lost: what was sent is delivered after `heal()`.
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
    for (const [a, b] of this.pairs) {
      if (how === 'reset') {
        a.destroy();
        b.destroy();
      } else {
        a.pause();
        b.pause();
      }
    }
    if (how === 'reset') this.pairs.clear();
  }

  heal(): void {
    this.mode = 'open';
    for (const [a, b] of this.pairs) {
      a.resume();
      b.resume();
    }
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
    client.pipe(upstream);
    upstream.pipe(client);
    if (this.mode === 'blackhole') {
      client.pause();
      upstream.pause();
    }
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
}
