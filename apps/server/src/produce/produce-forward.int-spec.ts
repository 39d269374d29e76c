/**
 * A web produce in cluster mode whose partition's route turns local between the produce's choice
 * (forward to the leader) and the forward itself (this node was just elected): the records are
 * appended here with the produce's acks, never as a plain append that would skip acks=all. The log
 * manager is real (temp dir); the leader is a recorder of what appendWithAcks asks of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger, systemClock } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import type { LeaderPartition } from '@spool/replication';
import type { PartitionRoute, ProduceForwarding } from '../cluster/partition-router.js';
import { ProduceService } from './produce.service.js';

let dir: string;
let logs: LogManager;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-produce-forward-'));
  logs = await LogManager.open({ dataDir: dir, logger: silentLogger, cleanerEnabled: false });
  await logs.createTopic('orders', 1);
});

afterEach(async () => {
  await logs.close();
  await rm(dir, { recursive: true, force: true });
});

function service(routes: PartitionRoute[], leader: LeaderPartition): { produce: ProduceService; forwarded: number[] } {
  const forwarded: number[] = [];
  const forwarding: ProduceForwarding = {
    route: () => routes.shift() ?? { kind: 'local' },
    forwardProduce: (to) => {
      forwarded.push(to);
      return Promise.reject(new Error('not reached: the route turned local'));
    },
  };
  const produce = new ProduceService({
    logManager: logs,
    topics: { resolveForProduce: () => Promise.resolve({ partitions: 1, configs: {} }), existingForProduce: () => ({ partitions: 1, configs: {} }) },
    clock: systemClock,
    maxRecordsPerRequest: 100,
    describeError: (err) => ({ code: 'ERR', message: String(err), retriable: false }),
    logger: silentLogger,
    forwarding,
    leaderFor: () => leader,
  });
  return { produce, forwarded };
}

describe('ProduceService, a route that turns local before the forward', () => {
  it('appends through the leader with acks=all and waits for the ISR', async () => {
    const calls: string[] = [];
    const leader = {
      appendAsLeader: async (acks: number, append: (leaderEpoch: number) => Promise<{ lastOffset: number }>) => {
        calls.push(`appendAsLeader acks=${acks}`);
        return append(7);
      },
      waitForCommit: (requiredOffset: number) => {
        calls.push(`waitForCommit ${requiredOffset}`);
        return Promise.resolve();
      },
    } as unknown as LeaderPartition;
    const { produce, forwarded } = service([{ kind: 'remote', leader: 2 }], leader);
    const record = { key: null, value: Buffer.from('{"a":1}'), headers: [], partition: 0, timestamp: undefined };
    const results = await produce.produce('orders', { records: [record, record], acks: 'all' });
    expect(results).toEqual([expect.objectContaining({ partition: 0, offset: 0 }), expect.objectContaining({ partition: 0, offset: 1 })]);
    expect(forwarded).toEqual([]);
    expect(calls).toEqual(['appendAsLeader acks=-1', 'waitForCommit 2']);
    expect(logs.getLog('orders', 0).logEndOffset).toBe(2);
  });
});
