/**
 * Where subscriptions live: the internal compacted topic `__webhook_subscriptions` (one
 * partition), written through the log engine like any topic, so a subscription survives restarts
 * and crashes (flush.messages=1: a create/patch/delete is acknowledged after fsync), and in a
 * cluster is replicated like any topic. Record key: the subscription name (UTF-8); value: the
 * subscription's JSON (subscription.ts), or null (a tombstone) when it was deleted. Compaction
 * keeps the latest value per name. Replay at start: the last record per name wins.
 *
 * The signing secret is stored here (the broker signs with it): the data directory is as
 * sensitive as the secrets it holds.
 */
import { isSpoolError } from '@spool/common';
import type { LogManager } from '@spool/log-engine';
import { CONTROL_FLAG_MASK, decodeRecordBatch, encodeRecordBatch, iterateBatches } from '@spool/protocol';
import type { Subscription } from './subscription.js';

export const SUBSCRIPTIONS_TOPIC = '__webhook_subscriptions';
const TOPIC_CONFIGS: Readonly<Record<string, string>> = { 'cleanup.policy': 'compact', 'flush.messages': '1' };
const REPLAY_READ_BYTES = 1024 * 1024;

export class SubscriptionsLog {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly logs: LogManager) {}

  /** Creates the topic if needed; returns every stored subscription (latest value per name). */
  async load(): Promise<Subscription[]> {
    try {
      this.logs.describeTopic(SUBSCRIPTIONS_TOPIC);
    } catch (err) {
      if (!isSpoolError(err) || err.code !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      await this.logs.createTopic(SUBSCRIPTIONS_TOPIC, 1, TOPIC_CONFIGS);
    }
    const latest = new Map<string, Subscription | null>();
    const log = this.logs.getLog(SUBSCRIPTIONS_TOPIC, 0);
    const end = log.logEndOffset;
    let offset = log.logStartOffset;
    while (offset < end) {
      const result = await log.read(offset, REPLAY_READ_BYTES, { maxOffset: end });
      if (result.records.length === 0) break;
      for (const batch of iterateBatches(result.records)) {
        if ((batch.header.attributes & CONTROL_FLAG_MASK) !== 0) continue;
        for (const record of decodeRecordBatch(result.records, batch.pos).records) {
          if (record.offset < offset || record.key === null) continue;
          const name = Buffer.from(record.key).toString('utf8');
          latest.set(name, record.value === null ? null : (JSON.parse(Buffer.from(record.value).toString('utf8')) as Subscription));
        }
      }
      offset = Math.max(offset + 1, result.nextOffset);
    }
    return [...latest.values()].filter((s): s is Subscription => s !== null);
  }

  /** Stores `subscription` (or deletes `name` with null); resolves once written and fsync'ed. Writes land in call order. */
  put(name: string, subscription: Subscription | null): Promise<void> {
    const batch = encodeRecordBatch({ records: [{ key: Buffer.from(name), value: subscription === null ? null : Buffer.from(JSON.stringify(subscription)), headers: [] }] });
    const written = this.tail.then(async () => {
      await this.logs.getLog(SUBSCRIPTIONS_TOPIC, 0).append(batch);
    });
    this.tail = written.catch(() => undefined);
    return written;
  }
}
