/**
 * A small network of Linux network namespaces for partition tests, all of it made by the test and
 * removed by `destroy()`:
 *
 *   <prefix>sw        the "switch": a bridge `br0` and one veth end `v<i>` per host
 *   <prefix>h<i>      host i: `lo` and `eth0` (the veth's other end), address 10.<net>.<net2>.<i+1>/24
 *
 * (`<prefix>` is `spool-netns-<pid>-<random>-`: a lab whose test process died is removed by the
 * next `create()`.)
 *
 * Nothing is added to the namespace the test runs in: no address, no route, no interface, so no
 * traffic leaves the test's namespaces. `cut(i)` sets `v<i>` down in the switch (host i is cut off
 * from every other host; its own loopback and address still work), `heal(i)` sets it up again.
 *
 * The test process itself sits outside the network, so it talks to processes inside through a
 * forwarder per host: a small node process in that host's namespace listening on a Unix socket (a
 * file, not a network address) that, per connection, reads `host:port\n` and then relays the bytes
 * to that TCP address from inside the namespace. `http(i, target, ...)` sends an HTTP request that
 * way: from host i, as a client on host i would.
 *
 * Needs root (CAP_NET_ADMIN) and iproute2; `probeNetns()` says why not when it cannot work, so a
 * test can skip with that reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Why namespaces cannot be used here, or null when they can: tries what create() does (a namespace,
 * a bridge and a veth pair in it) and removes it again. Not permitted (no root, a container without
 * CAP_NET_ADMIN or without the bridge/veth drivers) is a reason to skip, printed by the test.
 */
export function probeNetns(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  const name = `${PREFIX}${process.pid}-probe`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.error !== undefined) return `iproute2's ip is not available (${add.error.message})`;
  if (add.status !== 0) return `ip netns add is not permitted here: ${add.stderr.trim()}`;
  try {
    for (const args of [
      ['link', 'add', 'br0', 'type', 'bridge'],
      ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'],
      ['link', 'set', 'v0', 'master', 'br0'],
    ]) {
      const r = spawnSync('ip', ['-n', name, ...args], { encoding: 'utf8' });
      if (r.status !== 0) return `ip -n <namespace> ${args.join(' ')} is not permitted here: ${r.stderr.trim()}`;
    }
    return null;
  } finally {
    spawnSync('ip', ['netns', 'del', name]);
  }
}

const FORWARDER = `
const net = require('net');
const fs = require('fs');
const socketPath = process.argv[1];
try { fs.unlinkSync(socketPath); } catch {}
net.createServer((client) => {
  let head = Buffer.alloc(0);
  client.on('error', () => client.destroy());
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(10);
    if (nl < 0) return;
    client.off('data', onData);
    const target = head.subarray(0, nl).toString();
    const rest = head.subarray(nl + 1);
    const colon = target.lastIndexOf(':');
    const upstream = net.connect(Number(target.slice(colon + 1)), target.slice(0, colon));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    if (rest.length > 0) upstream.write(rest);
    client.pipe(upstream);
    upstream.pipe(client);
  };
  client.on('data', onData);
}).listen(socketPath, () => process.stdout.write('ready\\n'));
`;

export interface HttpAnswer {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export class NetnsLab {
  private readonly children = new Set<ChildProcess>();
  private readonly forwarders = new Map<number, string>();

  private constructor(
    readonly prefix: string,
    readonly hosts: number,
    /** The /24 every host's address is in: `${subnet}.<i+1>`. */
    readonly subnet: string,
    readonly dir: string,
  ) {}

  /** Namespaces for `hosts` hosts on one bridge, each with a forwarder. */
  static async create(hosts: number): Promise<NetnsLab> {
    removeOrphans();
    const tag = `${PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 6)}-`;
    const subnet = `10.${100 + Math.floor(Math.random() * 100)}.${1 + Math.floor(Math.random() * 250)}`;
    const lab = new NetnsLab(tag, hosts, subnet, await mkdtemp(path.join(os.tmpdir(), 'spool-netns-')));
    try {
      const sw = lab.switchNs;
      ip('netns', 'add', sw);
      ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', sw, 'link', 'set', 'br0', 'up');
      for (let i = 0; i < hosts; i++) {
        const ns = lab.ns(i);
        ip('netns', 'add', ns);
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        ip('-n', sw, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
        ip('-n', sw, 'link', 'set', `v${i}`, 'master', 'br0');
        ip('-n', sw, 'link', 'set', `v${i}`, 'up');
        ip('-n', ns, 'addr', 'add', `${lab.address(i)}/24`, 'dev', 'eth0');
        ip('-n', ns, 'link', 'set', 'eth0', 'up');
      }
      for (let i = 0; i < hosts; i++) await lab.startForwarder(i);
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  get switchNs(): string {
    return `${this.prefix}sw`;
  }


  ns(i: number): string {
    return `${this.prefix}h${i}`;
  }

  address(i: number): string {
    return `${this.subnet}.${i + 1}`;
  }

  /** Host i cut off from all others (its switch port down). */
  cut(i: number): void {
    ip('-n', this.switchNs, 'link', 'set', `v${i}`, 'down');
  }

  heal(i: number): void {
    ip('-n', this.switchNs, 'link', 'set', `v${i}`, 'up');
  }

  /** Spawns `command` inside host i's namespace; killed by destroy(). */
  spawn(i: number, command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; stdio?: 'pipe' | 'ignore' } = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(i), command, ...args], { env: options.env ?? { PATH: process.env.PATH }, stdio: ['ignore', options.stdio ?? 'pipe', options.stdio ?? 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** An HTTP request sent from host i to `target` (`address:port`), JSON in and out; rejects on a network error or after `timeoutMs`. */
  http(i: number, target: string, method: string, urlPath: string, body?: unknown, timeoutMs = 10_000): Promise<HttpAnswer> {
    const socketPath = this.forwarders.get(i);
    if (socketPath === undefined) return Promise.reject(new Error(`no forwarder on host ${i}`));
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          method,
          path: urlPath,
          headers: { host: target, ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': String(payload.length) }) },
          createConnection: () => {
            const socket = net.connect(socketPath);
            socket.write(`${target}\n`);
            return socket;
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // not JSON
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      // One deadline for the whole exchange, by a timer: http.request's `timeout` option is never
      // armed on a socket from `createConnection` (Node 20), so a request to a cut-off host would
      // hang for good (what stalled this test's producers at first, not the brokers).
      const timer = setTimeout(() => req.destroy(new Error(`${method} ${target}${urlPath} from host ${i}: no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Kills everything spawned here and deletes the namespaces (their interfaces go with them). */
  async destroy(): Promise<void> {
    const exits = [...this.children].map((c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()))));
    for (const c of this.children) c.kill('SIGKILL');
    await Promise.all(exits);
    for (let i = 0; i < this.hosts; i++) spawnSync('ip', ['netns', 'del', this.ns(i)]);
    spawnSync('ip', ['netns', 'del', this.switchNs]);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async startForwarder(i: number): Promise<void> {
    const socketPath = path.join(this.dir, `fwd-${i}.sock`);
    const child = this.spawn(i, process.execPath, ['-e', FORWARDER, socketPath]);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`forwarder on host ${i} exited (${code}): ${out}`)));
    });
    this.forwarders.set(i, socketPath);
  }
}

/** Every namespace a lab makes is named `spool-netns-<pid of the test process>-<tag>-<role>`. */
const PREFIX = 'spool-netns-';

/**
 * Deletes the namespaces of labs whose test process is gone (killed before its destroy() ran), so
 * that an interrupted run leaves nothing behind for long. Their interfaces go with them.
 */
function removeOrphans(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (list.status !== 0) return;
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = Number(/^spool-netns-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    spawnSync('ip', ['netns', 'del', name]);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim() || r.error?.message}`);
}
