/**
 * Reads one replica's copy of a partition straight from a stopped broker's data directory: every
 * segment file (`<dataDir>/<topic>-<partition>/<20-digit base offset>.log`, storage-format.md) in
 * base-offset order, every whole batch in each, CRC-checked and decoded. A trailing partial batch
 * (what a SIGKILL in the middle of a write leaves) ends the segment's reading, as the broker's own
 * recovery would cut it; a corrupt batch in the middle is an error, since the fault test must not
 * mistake corruption for a shorter log.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeRecordBatch, iterateBatches } from '@spool/protocol';
import type { ReplicaLog, StoredRecord } from './fault-checker.test-util.js';

export async function readReplicaLog(dataDir: string, brokerId: number, topic: string, partition: number): Promise<ReplicaLog> {
  const dir = path.join(dataDir, `${topic}-${partition}`);
  const segments = (await readdir(dir)).filter((name) => /^\d{20}\.log$/.test(name)).sort();
  const records: StoredRecord[] = [];
  for (const segment of segments) {
    const buf = await readFile(path.join(dir, segment));
    // A preallocated or crash-cut tail reads as zeros: stop there (the broker's recovery truncates it too).
    const end = wholeBatchesEnd(buf);
    for (const { pos, header } of iterateBatches(buf, { end, validate: true })) {
      for (const record of decodeRecordBatch(buf, pos).records) {
        records.push({ offset: record.offset, value: record.value === null ? '<null>' : record.value.toString('utf8'), leaderEpoch: header.partitionLeaderEpoch });
      }
    }
  }
  return { partition, brokerId, records };
}

/** Where the run of well-formed batch lengths ends (a zero length is not a batch). */
function wholeBatchesEnd(buf: Buffer): number {
  let pos = 0;
  while (buf.length - pos >= 12) {
    const size = buf.readInt32BE(pos + 8) + 12;
    if (size <= 12 || size > buf.length - pos) break;
    pos += size;
  }
  return pos;
}
