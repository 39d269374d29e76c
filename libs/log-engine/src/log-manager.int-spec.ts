import { readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock, SpoolError } from '@spool/common';
import { LogManager, type LogManagerOptions } from './log-manager.js';
import { CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_CHECKPOINT_FILE, REPLICATION_OFFSET_CHECKPOINT_FILE } from './log-manager-dirs.js';
import { batchOf, eventually, readAll, tempDir } from './log-manager.test-util.js';

describe('LogManager', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let clock: ManualClock;
  const managers: LogManager[] = [];

  beforeEach(async () => {
    dir = await tempDir('spool-log-manager-');
    clock = new ManualClock();
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close().catch(() => undefined)));
    await dir.remove();
  });

  async function open(opts: Partial<LogManagerOptions> = {}): Promise<LogManager> {
    const manager = await LogManager.open({ dataDir: dir.path, clock, cleanerEnabled: false, ...opts });
    managers.push(manager);
    return manager;
  }

  async function reopen(manager: LogManager, opts: Partial<LogManagerOptions> = {}): Promise<LogManager> {
    await manager.close();
    return open(opts);
  }

  const append = (manager: LogManager, topic: string, partition: number, n: number) =>
    manager.getLog(topic, partition).append(
      batchOf(Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: clock.now() }))),
    );

  it('creates, describes, deletes and recreates a topic under the same name', async () => {
    const manager = await open();
    const created = await manager.createTopic('orders', 3, { 'retention.ms': '5000' });
    expect(created).toMatchObject({ name: 'orders', partitions: 3, isInternal: false });
    expect(created.configs['retention.ms']).toBe('5000');
    expect(created.configEntries.find((e) => e.name === 'retention.ms')?.source).toBe('TOPIC');
    await append(manager, 'orders', 1, 4);
    const described = manager.describeTopic('orders');
    expect(described.partitionStates[1]).toMatchObject({ partition: 1, logStartOffset: 0, logEndOffset: 4, highWatermark: 4 });
    expect(described.partitionStates[1].sizeBytes).toBeGreaterThan(0);
    expect(described.partitionStates[0].logEndOffset).toBe(0);

    await manager.deleteTopic('orders');
    expect(() => manager.describeTopic('orders')).toThrow(SpoolError);
    expect(() => manager.getLog('orders', 0)).toThrow(expect.objectContaining({ code: 'UNKNOWN_TOPIC_OR_PARTITION' }));
    const entries = await readdir(dir.path);
    expect(entries.filter((e) => /^orders-\d\.[0-9a-f]{32}-delete$/.test(e))).toHaveLength(3);
    expect(entries).not.toContain('orders-0');

    const recreated = await manager.createTopic('orders', 1);
    expect(recreated.id).not.toBe(created.id);
    expect(recreated.partitionStates).toEqual([expect.objectContaining({ logEndOffset: 0 })]);
    expect(recreated.configs['retention.ms']).toBe('604800000');

    // The deleted directories go once file.delete.delay.ms (default 60 s) has passed.
    await manager.runTask('file-delete');
    expect((await readdir(dir.path)).filter((e) => e.endsWith('-delete'))).toHaveLength(3);
    clock.advance(60_000);
    await manager.runTask('file-delete');
    expect((await readdir(dir.path)).filter((e) => e.endsWith('-delete'))).toHaveLength(0);
    expect(manager.listTopics().map((t) => t.name)).toEqual(['orders']);
  });

  it('shows a topic being created only once all its partitions are open (never with fewer)', async () => {
    const manager = await open();
    let done = false;
    const creating = manager.createTopic('wide', 24).then(() => (done = true));
    const seen = new Set<string>();
    while (!done) {
      try {
        seen.add(`partitions ${manager.describeTopic('wide').partitionStates.length}`);
      } catch (err) {
        seen.add((err as SpoolError).code);
      }
      expect(manager.listTopics().map((t) => t.partitionStates.length).filter((n) => n !== 24)).toEqual([]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await creating;
    expect([...seen].filter((s) => s !== 'UNKNOWN_TOPIC_OR_PARTITION' && s !== 'partitions 24')).toEqual([]);
    expect(seen.has('UNKNOWN_TOPIC_OR_PARTITION')).toBe(true);
    expect(manager.describeTopic('wide').partitionStates).toHaveLength(24);
  });

  it('removes leftover deleted directories at the next open', async () => {
    const manager = await open();
    await manager.createTopic('gone', 2);
    await manager.deleteTopic('gone');
    const again = await reopen(manager);
    expect((await readdir(dir.path)).filter((e) => e.startsWith('gone'))).toEqual([]);
    expect(again.listTopics()).toEqual([]);
  });

  it('rejects bad admin requests with Kafka error codes', async () => {
    const manager = await open();
    await manager.createTopic('t', 1);
    await expect(manager.createTopic('t', 1)).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });
    await expect(manager.createTopic('bad name', 1)).rejects.toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' });
    await expect(manager.createTopic('u', 0)).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });
    await expect(manager.createTopic('u', 1.5)).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });
    await expect(manager.createTopic('u', 1, { 'segment.bytes': '1' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(manager.createTopic('u', 1, { 'no.such.config': '1' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(manager.deleteTopic('u')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(manager.createPartitions('t', 1)).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });
    await expect(manager.alterTopicConfigs('t', { 'retention.ms': '-5' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    expect(() => manager.getLog('t', 1)).toThrow(expect.objectContaining({ code: 'UNKNOWN_TOPIC_OR_PARTITION' }));
    expect(manager.listTopics().map((t) => t.name)).toEqual(['t']);
    expect(manager.describeTopic('t').configs['retention.ms']).toBe('604800000');
  });

  it('serialises concurrent creates and deletes of the same name', async () => {
    const manager = await open();
    const creates = await Promise.allSettled(Array.from({ length: 5 }, () => manager.createTopic('race', 2)));
    expect(creates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of creates) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });

    const ops = [manager.deleteTopic('race'), manager.createTopic('race', 1), manager.deleteTopic('race'), manager.createTopic('race', 3)];
    await Promise.all(ops);
    expect(manager.describeTopic('race').partitions).toBe(3);
    const live = (await readdir(dir.path)).filter((e) => /^race-\d$/.test(e)).sort();
    expect(live).toEqual(['race-0', 'race-1', 'race-2']);
    expect(manager.metrics.partitions).toBe(3);
  });

  it('adds partitions and persists them and altered configs across reopen', async () => {
    const manager = await open({ defaults: { segmentMs: 123_456 } });
    await manager.createTopic('grow', 1, { 'cleanup.policy': 'delete,compact' });
    await append(manager, 'grow', 0, 2);
    expect((await manager.createPartitions('grow', 3)).partitions).toBe(3);
    await append(manager, 'grow', 2, 5);
    const altered = await manager.alterTopicConfigs('grow', { 'retention.ms': '1000', 'cleanup.policy': null, 'max.message.bytes': '2048' });
    expect(altered.configs).toMatchObject({ 'retention.ms': '1000', 'cleanup.policy': 'delete', 'max.message.bytes': '2048', 'segment.ms': '123456' });
    expect(altered.configEntries.find((e) => e.name === 'segment.ms')?.source).toBe('DEFAULT');

    const again = await reopen(manager, { defaults: { segmentMs: 123_456 } });
    const described = again.describeTopic('grow');
    expect(described.partitions).toBe(3);
    expect(described.id).toBe(altered.id);
    expect(described.configs).toMatchObject({ 'retention.ms': '1000', 'cleanup.policy': 'delete', 'max.message.bytes': '2048' });
    expect(described.partitionStates.map((p) => p.logEndOffset)).toEqual([2, 0, 5]);
    expect((await readAll(again.getLog('grow', 2))).records.map((r) => r.value)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    // The altered max.message.bytes is in force on the reopened log.
    await expect(again.getLog('grow', 0).append(batchOf([{ key: 'k', value: 'x'.repeat(4096), timestamp: clock.now() }]))).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
    });
  });

  it('writes the clean-shutdown marker last and honours it at the next open', async () => {
    const manager = await open();
    await manager.createTopic('c', 1);
    await append(manager, 'c', 0, 3);
    await manager.close();
    const marker = join(dir.path, CLEAN_SHUTDOWN_FILE);
    expect((await stat(marker)).isFile()).toBe(true);
    expect(await readFile(join(dir.path, RECOVERY_POINT_CHECKPOINT_FILE), 'utf8')).toBe('0\n1\nc 0 3\n');

    // Without the recovery-point checkpoint, only the marker tells the log it is all on disk.
    await rm(join(dir.path, RECOVERY_POINT_CHECKPOINT_FILE));
    const clean = await open();
    await expect(stat(marker)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(clean.getLog('c', 0).recoveryPoint).toBe(3);

    // Same again but "crashed": no marker, so the log recovers and trusts nothing below 3.
    await clean.close();
    await rm(join(dir.path, RECOVERY_POINT_CHECKPOINT_FILE));
    await rm(marker);
    const crashed = await open();
    expect(crashed.getLog('c', 0).recoveryPoint).toBe(0);
    expect(crashed.getLog('c', 0).logEndOffset).toBe(3);
  });

  it('runs retention on its timer, driven by the clock', async () => {
    const manager = await open({ retentionCheckIntervalMs: 10 });
    await manager.createTopic('r', 1, { 'retention.ms': '1000', 'segment.bytes': '200' });
    for (let i = 0; i < 6; i++) await append(manager, 'r', 0, 2);
    const log = manager.getLog('r', 0);
    const before = log.segments().length;
    expect(before).toBeGreaterThan(2);
    clock.advance(1001);
    await eventually(() => log.segments().length === 1, 'retention to delete every inactive segment');
    expect(log.logStartOffset).toBe(log.segments()[0].baseOffset);
    expect(manager.describeTopic('r').partitionStates[0].logStartOffset).toBe(log.logStartOffset);
    expect(log.logEndOffset).toBe(12);
  });

  it('checkpoints recovery points and log start offsets on demand and reports logBytes', async () => {
    const manager = await open();
    await manager.createTopic('a', 2);
    await append(manager, 'a', 1, 2);
    await manager.getLog('a', 1).flush();
    await manager.runTask('checkpoint');
    expect(await readFile(join(dir.path, RECOVERY_POINT_CHECKPOINT_FILE), 'utf8')).toBe('0\n2\na 0 0\na 1 2\n');
    expect(manager.logBytes()).toBe(manager.getLog('a', 1).size);
    expect(manager.metrics.partitions).toBe(2);
  });

  it('refuses admin operations once closing', async () => {
    const manager = await open();
    await manager.close();
    await expect(manager.createTopic('late', 1)).rejects.toMatchObject({ code: 'BROKER_NOT_AVAILABLE' });
    await manager.close();
  });

  it('checkpoints high watermarks to replication-offset-checkpoint and opens logs at them, clamped to the log end', async () => {
    const manager = await open({ highWatermarkFollowsLogEnd: false });
    await manager.createTopic('hw', 2);
    await append(manager, 'hw', 0, 2);
    await append(manager, 'hw', 0, 3);
    await append(manager, 'hw', 1, 3);
    expect(manager.getLog('hw', 0).highWatermark).toBe(0);
    manager.getLog('hw', 0).replication.maybeIncrementHighWatermark(4);
    await manager.runTask('high-watermark-checkpoint');
    const file = join(dir.path, REPLICATION_OFFSET_CHECKPOINT_FILE);
    expect(await readFile(file, 'utf8')).toBe('0\n2\nhw 0 4\nhw 1 0\n');
    manager.getLog('hw', 1).replication.maybeIncrementHighWatermark(3);
    const reopened = await reopen(manager, { highWatermarkFollowsLogEnd: false });
    expect([reopened.getLog('hw', 0).highWatermark, reopened.getLog('hw', 1).highWatermark]).toEqual([4, 3]);
    await reopened.getLog('hw', 0).truncateTo(2);
    const again = await reopen(reopened, { highWatermarkFollowsLogEnd: false });
    expect(again.getLog('hw', 0).highWatermark).toBe(2);
    await again.close();
    const single = await open();
    expect(single.getLog('hw', 0).highWatermark).toBe(2);
    expect(single.describeTopic('hw').partitionStates[1]).toMatchObject({ logEndOffset: 3, highWatermark: 3 });
  });

  it('a truncation checkpoints the lowered recovery point before it resolves', async () => {
    const manager = await open();
    await manager.createTopic('rp', 1);
    await append(manager, 'rp', 0, 6);
    await manager.getLog('rp', 0).flush();
    await manager.runTask('checkpoint');
    expect(await readFile(join(dir.path, RECOVERY_POINT_CHECKPOINT_FILE), 'utf8')).toBe('0\n1\nrp 0 6\n');
    await manager.getLog('rp', 0).truncateTo(2);
    expect(await readFile(join(dir.path, RECOVERY_POINT_CHECKPOINT_FILE), 'utf8')).toBe('0\n1\nrp 0 0\n');
  });

  it('a topic deleted and recreated after a restart starts fresh, not at the old checkpointed offsets', async () => {
    const first = await open();
    await first.createTopic('again', 1);
    await append(first, 'again', 0, 3);
    await append(first, 'again', 0, 3);
    await first.deleteRecords('again', 0, 4);
    const manager = await reopen(first);
    expect(manager.getLog('again', 0).logStartOffset).toBe(4);
    await manager.deleteTopic('again');
    await manager.createTopic('again', 1);
    const log = manager.getLog('again', 0);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark]).toEqual([0, 0, 0]);
    expect((await log.append(batchOf([{ key: 'k', value: 'v', timestamp: clock.now() }]))).baseOffset).toBe(0);
  });

  it('holds one descriptor per partition, the log file: indexes are opened only to be written', async () => {
    const manager = await open();
    await manager.createTopic('many', 40);
    for (let p = 0; p < 40; p += 7) await append(manager, 'many', p, 3);
    const ours = async (): Promise<string[]> => {
      const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
      return targets.filter((t) => t.startsWith(dir.path + '/'));
    };
    const held = await ours();
    expect(held.filter((t) => t.endsWith('.log'))).toHaveLength(40);
    expect(held.filter((t) => !t.endsWith('.log'))).toEqual([]);
    // Indexes still work after a restart (written through short-lived descriptors, read back at open).
    const again = await reopen(manager);
    expect(again.describeTopic('many').partitionStates[7]).toMatchObject({ logEndOffset: 3 });
    expect((await ours()).filter((t) => !t.endsWith('.log'))).toEqual([]);
  });
});
