/**
 * Controller failover and fencing with real processes and signals. Broker 1 runs in a child
 * process (controller-fencing.child.mjs, on the compiled library) and is elected first; broker 2
 * runs in the test.
 *
 * - SIGKILL the controller: its lease expires, broker 2 takes over with the next epoch and moves
 *   the dead broker's leaderships.
 * - SIGSTOP the controller past its lease TTL: broker 2 takes over. SIGCONT it and make it write
 *   through its old controller session at once: etcd refuses the write (the `controller` key no
 *   longer has its election's create revision), and the partition is untouched. Then it
 *   re-registers, as a broker that came back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EtcdConnection } from '../etcd/etcd-connection.js';
import type { EtcdClusterMetadata } from '../etcd-cluster-metadata.js';
import { EtcdProcess } from '../testing/etcd-process.js';
import { startNode, waitFor } from '../testing/cluster.test-util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'controller-fencing.child.mjs');
const DIST_ROOT = path.join(here, '../../../../dist');

interface ChildEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** A broker in a child process, with its stdout events queued for the test. */
class ChildBroker {
  readonly events: ChildEvent[] = [];
  private stderr = '';

  constructor(readonly process: ChildProcess) {
    createInterface({ input: process.stdout! }).on('line', (line) => this.events.push(JSON.parse(line) as ChildEvent));
    process.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  static start(endpoint: string, brokerId: number): ChildBroker {
    return new ChildBroker(spawn(process.execPath, [CHILD, DIST_ROOT, endpoint, String(brokerId)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  next(event: string, after = 0, timeoutMs = 15_000): Promise<ChildEvent> {
    return waitFor(`child event ${event} (stderr: ${this.stderr.slice(-300)})`, () => this.events.slice(after).find((e) => e.event === event), timeoutMs);
  }

  send(line: string): void {
    this.process.stdin!.write(`${line}\n`);
  }

  signal(sig: NodeJS.Signals): void {
    this.process.kill(sig);
  }

  async kill(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((r) => this.process.once('exit', r));
    this.process.kill('SIGCONT');
    this.process.kill('SIGKILL');
    await exited;
  }
}

describe('controller failover and fencing (real processes)', () => {
  let etcd: EtcdProcess;
  let admin: EtcdConnection;
  let child: ChildBroker | null = null;
  let local: EtcdClusterMetadata | null = null;

  beforeAll(async () => {
    if (!existsSync(path.join(DIST_ROOT, 'libs/cluster/src/index.js'))) {
      throw new Error(`${DIST_ROOT}/libs/cluster is missing: run npm run build first (the child broker runs the compiled library)`);
    }
    etcd = await EtcdProcess.start();
    admin = new EtcdConnection({ endpoints: [etcd.endpoint] });
  });
  afterAll(async () => {
    admin.close();
    await etcd.destroy();
  });
  afterEach(async () => {
    await child?.kill();
    await local?.close().catch(() => undefined);
    child = null;
    local = null;
    await admin.txn([], [{ delete: '/test/', prefix: true }]);
  });

  /** Child broker 1 elected controller, then in-process broker 2, and a topic led by broker 1. */
  async function setUp(): Promise<{ child: ChildBroker; local: EtcdClusterMetadata; controllerEpoch: number }> {
    child = ChildBroker.start(etcd.endpoint, 1);
    const elected = await child.next('controller');
    local = await startNode(etcd.endpoint, 2);
    await waitFor('broker 2 sees broker 1 as controller', () => local!.controller()?.brokerId === 1);
    await local.createTopic({ name: 'fenced', assignment: [[1, 2], [2, 1]] });
    expect(local.partition('fenced', 0)).toMatchObject({ leader: 1, isr: [1, 2] });
    return { child, local, controllerEpoch: elected['controllerEpoch'] as number };
  }

  it('SIGKILL of the controller: another broker takes over with the next epoch and moves its leaderships', async () => {
    const { child, local, controllerEpoch } = await setUp();
    child.signal('SIGKILL');
    await waitFor('broker 2 is controller', () => local.isController() && local.controller()?.brokerId === 2);
    expect(local.controller()!.controllerEpoch).toBe(controllerEpoch + 1);
    await waitFor('partition 0 moved to broker 2', () => local.partition('fenced', 0)?.leader === 2);
    expect(local.partition('fenced', 0)).toMatchObject({ leader: 2, leaderEpoch: 1, isr: [2], controllerEpoch: controllerEpoch + 1 });
    expect(local.partition('fenced', 1)).toMatchObject({ leader: 2, leaderEpoch: 0, isr: [2] });
  });

  it('SIGSTOP past the lease TTL: the paused controller\'s write is refused by etcd once it resumes', async () => {
    const { child, local, controllerEpoch } = await setUp();
    child.signal('SIGSTOP');
    await waitFor('broker 2 took over', () => local.isController() && local.controller()?.controllerEpoch === controllerEpoch + 1);
    await waitFor('broker 2 moved partition 0', () => local.partition('fenced', 0)?.leader === 2);
    const before = (await admin.get('/test/partitions/fenced/0')).kv!;

    const seen = child.events.length;
    child.signal('SIGCONT');
    child.send('stale-write fenced 0');
    const write = await child.next('write', seen);
    expect(write).toMatchObject({ outcome: 'fenced', sessionEpoch: controllerEpoch });
    const after = (await admin.get('/test/partitions/fenced/0')).kv!;
    expect(after.value).toBe(before.value);
    expect(JSON.parse(after.value)).toMatchObject({ leader: 2, leaderEpoch: 1 });
    expect(local.controller()).toMatchObject({ brokerId: 2, controllerEpoch: controllerEpoch + 1 });

    // The resumed broker notices it lost its session and registers again, with a new broker epoch.
    const firstEpoch = (child.events.find((e) => e.event === 'started')!['brokerEpoch'] as number);
    await waitFor('broker 1 registered again', () => (local.broker(1)?.brokerEpoch ?? firstEpoch) > firstEpoch);
  });
});
