/**
 * `partition.metadata`: the topic id a partition directory belongs to, in Kafka's format
 * (PartitionMetadataFile), UTF-8, no trailing newline:
 *
 *   version: 0
 *   topic_id: <22 characters of base64url>
 *
 * Kafka writes it when a partition's log is created and checks it when the log is loaded, so
 * that a directory left over from an earlier topic of the same name is never taken for the
 * current one. Spool does the same: written when a partition is created (and, for a data
 * directory made before topic ids were kept, when the partition is first opened after the
 * upgrade); checked at every open against topics.json, the source of truth. A directory naming
 * another id stops the open with KAFKA_STORAGE_ERROR naming the file and both ids (Kafka's
 * INCONSISTENT_TOPIC_ID): which of the two is right is not guessed at, and nothing is deleted.
 *
 * Writes are atomic (partition.metadata.tmp, fsync, rename, fsync of the directory): a crash
 * leaves the old file, the new one, or none plus a stray .tmp, and the next open writes it again.
 * A file that does not parse is a KAFKA_STORAGE_ERROR naming it, as Kafka's reader refuses one.
 */
import { mkdir, open as openFile, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { isTopicId, SpoolError, ZERO_TOPIC_ID, type TopicId } from '@spool/common';
import { fsyncDirectory } from './checkpoint-file.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';
const CURRENT_VERSION = 0;

/** The file's text for `topicId`, byte for byte as Kafka writes it. */
export function encodePartitionMetadata(topicId: TopicId): string {
  return `version: ${CURRENT_VERSION}\ntopic_id: ${topicId}`;
}

/**
 * Parses the file's text as Kafka's PartitionMetadataReadBuffer does: "key: value" lines split
 * at ':' and whitespace, a version of at least 0 (later versions keep the topic_id line, so a
 * downgrade still reads it), then a topic_id that is a valid, non-zero uuid.
 */
export function parsePartitionMetadata(text: string, file: string): TopicId {
  const fail = (why: string): never => {
    throw new SpoolError('KAFKA_STORAGE_ERROR', `malformed partition metadata file ${file}: ${why}`, { file });
  };
  const lines = text.split('\n');
  const field = (index: number, key: string): string => {
    const parts = (lines[index] ?? '').split(/:\s+/);
    if (parts.length !== 2 || parts[0] !== key) fail(`line ${index + 1} is ${JSON.stringify(lines[index] ?? '')}, expected "${key}: <value>"`);
    return parts[1].trimEnd();
  };
  const version = field(0, 'version');
  if (!/^\d+$/.test(version)) fail(`version ${JSON.stringify(version)} is not a number`);
  const topicId = field(1, 'topic_id');
  if (!isTopicId(topicId)) fail(`topic_id ${JSON.stringify(topicId)} is not a uuid as 22 characters of base64url`);
  if (topicId === ZERO_TOPIC_ID) fail('topic_id is the zero uuid');
  return topicId;
}

/** The topic id recorded in partition directory `dir`, or null when it has no partition.metadata. */
export async function readPartitionMetadata(dir: string): Promise<TopicId | null> {
  const file = join(dir, PARTITION_METADATA_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return parsePartitionMetadata(text, file);
}

/** Writes partition.metadata in `dir` atomically; resolves once it is durable. */
export async function writePartitionMetadata(dir: string, topicId: TopicId): Promise<void> {
  const file = join(dir, PARTITION_METADATA_FILE);
  const tmp = `${file}.tmp`;
  const handle = await openFile(tmp, 'w');
  try {
    await handle.writeFile(encodePartitionMetadata(topicId), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await fsyncDirectory(dir);
}

/**
 * Makes sure partition directory `dir` (created if needed) records `topicId`: writes the file when
 * absent (a new partition, or the first open after an upgrade), checks it when present. Returns
 * whether it wrote.
 */
export async function ensurePartitionMetadata(dir: string, topicId: TopicId): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const recorded = await readPartitionMetadata(dir);
  if (recorded === topicId) return false;
  if (recorded !== null) {
    throw new SpoolError(
      'KAFKA_STORAGE_ERROR',
      `partition directory ${dir} belongs to topic id ${recorded} (${PARTITION_METADATA_FILE}), but its topic has id ${topicId}: INCONSISTENT_TOPIC_ID`,
      { dir, recordedTopicId: recorded, topicId },
    );
  }
  await writePartitionMetadata(dir, topicId);
  return true;
}
