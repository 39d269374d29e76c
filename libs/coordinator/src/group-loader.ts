/**
 * Start-up replay of `__consumer_offsets`: rebuilds committed offsets and the last stored
 * metadata of each group, applying records in log order (the last record of a key wins, a
 * tombstone deletes). Records with key versions Spool does not write (Kafka's newer group types)
 * are counted and skipped; a malformed record is an error (the log engine's CRCs rule out torn
 * writes, so it is a bug or a foreign topic, and guessing would lose offsets).
 */
import type { OffsetLog } from './coordinator-ports.js';
import {
  decodeConsumerOffsetsKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  type GroupMetadataValue,
} from './consumer-offsets.codec.js';
import type { OffsetStore } from './offset-store.js';

export interface LoadResult {
  readonly groups: Map<string, GroupMetadataValue>;
  readonly records: number;
  readonly skipped: number;
}

export async function replayConsumerOffsets(log: OffsetLog, store: OffsetStore): Promise<LoadResult> {
  const groups = new Map<string, GroupMetadataValue>();
  let records = 0;
  let skipped = 0;
  for await (const record of log.replay()) {
    records++;
    const key = decodeConsumerOffsetsKey(record.key);
    if (key.type === 'offset') {
      const tp = { topic: key.topic, partition: key.partition };
      if (record.value === null) store.remove(key.group, tp);
      else store.put(key.group, { ...tp, ...decodeOffsetCommitValue(record.value) });
    } else if (key.type === 'group') {
      if (record.value === null) groups.delete(key.group);
      else groups.set(key.group, decodeGroupMetadataValue(record.value));
    } else {
      skipped++;
    }
  }
  return { groups, records, skipped };
}
