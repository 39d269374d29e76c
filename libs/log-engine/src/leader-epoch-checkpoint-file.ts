/**
 * `<dataDir>/<topic>-<partition>/leader-epoch-checkpoint`: the partition's leader epoch cache
 * (leader-epoch-cache.ts), in Kafka's LeaderEpochCheckpointFile text format, UTF-8, '\n' line
 * ends, byte for byte what a Kafka broker writes:
 *
 *   line 1        version       "0"
 *   line 2        entry count   decimal, N
 *   lines 3..N+2  entry         "<leaderEpoch> <startOffset>"   decimal, one space; leaderEpoch an
 *                                                               int32 >= 0, startOffset an int64 >= 0
 *                                                               (a safe integer here); entries in
 *                                                               increasing epoch and offset order
 *
 * e.g. "0\n2\n0 0\n3 1200\n": epoch 0 began at offset 0, epoch 3 at offset 1200.
 *
 * Written atomically (tmp file, fsync, rename, directory fsync: checkpoint-file.ts), so a crash
 * leaves the old or the new content. Like Kafka's reader, an empty file (or one with only the
 * version line) reads as no entries and entries may be separated by any run of whitespace; a
 * wrong version, a count that does not match, a malformed or out-of-order entry is a
 * KAFKA_STORAGE_ERROR naming the file and line (the Log then rebuilds the cache from the log:
 * every epoch is also stamped on the batches, see log-epochs.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SpoolError } from '@spool/common';
import { writeFileAtomically } from './checkpoint-file.js';

export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';

/** A leader epoch and the first offset written in it (Kafka's EpochEntry). */
export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

const CURRENT_VERSION = 0;
const INT32_MAX = 0x7fff_ffff;

export function leaderEpochCheckpointPath(partitionDir: string): string {
  return path.join(partitionDir, LEADER_EPOCH_CHECKPOINT_FILE);
}

/** The file's text for `entries` (which must already be in order). */
export function formatLeaderEpochCheckpoint(entries: readonly EpochEntry[]): string {
  let text = `${CURRENT_VERSION}\n${entries.length}\n`;
  for (const { epoch, startOffset } of entries) {
    if (!isEpoch(epoch) || !isOffset(startOffset)) {
      throw new SpoolError('INVALID_REQUEST', `leader epoch entry (${epoch}, ${startOffset}) cannot be checkpointed`);
    }
    text += `${epoch} ${startOffset}\n`;
  }
  return text;
}

/** Parses the file's text (see the grammar above); `file` names it in errors. */
export function parseLeaderEpochCheckpoint(text: string, file: string): EpochEntry[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const fail = (line: number, why: string): never => {
    throw new SpoolError('KAFKA_STORAGE_ERROR', `malformed leader epoch checkpoint ${file} line ${line}: ${why}`, { file, line });
  };
  if (lines.length === 0) return [];
  if (lines[0].trim() !== String(CURRENT_VERSION)) fail(1, `unsupported version ${JSON.stringify(lines[0])}`);
  if (lines.length === 1) return [];
  if (!/^\d{1,9}$/.test(lines[1].trim())) fail(2, `entry count ${JSON.stringify(lines[1])} is not a number`);
  const count = Number(lines[1].trim());
  if (lines.length - 2 !== count) fail(2, `declares ${count} entries, has ${lines.length - 2}`);
  const out: EpochEntry[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i].trim().split(/\s+/);
    if (parts.length !== 2 || !/^\d+$/.test(parts[0]) || !/^\d+$/.test(parts[1])) {
      fail(i + 1, `expected "<leaderEpoch> <startOffset>", got ${JSON.stringify(lines[i])}`);
    }
    const epoch = Number(parts[0]);
    const startOffset = Number(parts[1]);
    if (!isEpoch(epoch)) fail(i + 1, `leader epoch ${parts[0]} is not an int32`);
    if (!isOffset(startOffset)) fail(i + 1, `start offset ${parts[1]} is beyond 2^53`);
    const previous = out[out.length - 1];
    if (previous !== undefined && (epoch <= previous.epoch || startOffset <= previous.startOffset)) {
      fail(i + 1, `entry (${epoch}, ${startOffset}) does not follow (${previous.epoch}, ${previous.startOffset})`);
    }
    out.push({ epoch, startOffset });
  }
  return out;
}

/** The entries of the partition directory's checkpoint, or null when the file does not exist. */
export async function readLeaderEpochCheckpoint(partitionDir: string): Promise<EpochEntry[] | null> {
  const file = leaderEpochCheckpointPath(partitionDir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return parseLeaderEpochCheckpoint(text, file);
}

/** Replaces the checkpoint atomically; resolves once durable. Callers serialise writes (the Log's lock). */
export function writeLeaderEpochCheckpoint(partitionDir: string, entries: readonly EpochEntry[]): Promise<void> {
  return writeFileAtomically(leaderEpochCheckpointPath(partitionDir), formatLeaderEpochCheckpoint(entries));
}

function isEpoch(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n <= INT32_MAX;
}

function isOffset(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
