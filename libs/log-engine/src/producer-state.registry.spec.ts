import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManualClock, silentLogger } from '@spool/common';
import { KAFKA_TOPIC_CONFIG_DEFAULTS } from './topic-config.js';
import { Log } from './log.js';
import { encodeRecordBatch } from '@spool/protocol';
import { ProducerStateRegistry } from './producer-state.registry.js';

const PID = 7;

/** An idempotent batch of `count` records from producer PID, epoch 0, sequences from `baseSequence`. */
function idempotent(baseSequence: number, count: number): Buffer {
  return encodeRecordBatch({
    producerId: PID,
    producerEpoch: 0,
    baseSequence,
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`s${baseSequence + i}`), timestamp: 1_000 })),
  });
}

describe('ProducerStateRegistry', () => {
  let dir: string;
  let log: Log;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'spool-producer-state-'));
    log = await Log.open({
      dir,
      topicPartition: { topic: 't', partition: 0 },
      config: KAFKA_TOPIC_CONFIG_DEFAULTS,
      recoveryPoint: 0,
      logStartOffset: 0,
      hadCleanShutdown: true,
      clock: new ManualClock(),
      logger: silentLogger,
    });
  });
  afterEach(async () => {
    await log.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('rebuilds from the log, and again after a truncation took batches away', async () => {
    await log.append(idempotent(0, 3));
    await log.append(idempotent(3, 2));
    const registry = new ProducerStateRegistry();
    const before = await registry.load(log);
    const next = { producerId: PID, producerEpoch: 0, lastOffsetDelta: 0 };
    expect(before.check({ ...next, baseSequence: 5 }).kind).toBe('append');
    expect(before.check({ ...next, baseSequence: 3 }).kind).toBe('error');

    await log.truncateTo(3);
    expect(registry.loaded(log)).toBeUndefined();
    const after = await registry.load(log);
    expect(after).not.toBe(before);
    expect(after.check({ ...next, baseSequence: 3 }).kind).toBe('append');
    expect(after.check({ ...next, baseSequence: 5 }).kind).toBe('error');
    await log.truncateTo(0);
    expect((await registry.load(log)).producerCount).toBe(0);
  });
});
