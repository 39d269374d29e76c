/**
 * A task's stream time, carried in the `metadata` string of each input offset it commits (the
 * same idea as Kafka Streams' TopicPartitionMetadata), so that a task starting after a restart or
 * a rebalance knows which windows had closed and drops records late for them instead of
 * re-opening those windows (and, behind `suppress`, emitting them a second time).
 *
 * The string is the base64 (RFC 4648, with padding) of these bytes, big-endian:
 *
 *   magic            INT8    0x53 ('S'): tells this from Kafka Streams' own metadata (magic 1 or 2)
 *                            and from what another client may have committed under the group
 *   version          INT8    1
 *   partitionTimeMs  INT64   the largest record timestamp the task has processed from this input
 *                            partition (-1: none yet); Kafka's partition time
 *   nodeCount        UINT16  entries that follow (0 when they would not fit, see below)
 *   nodeCount times:
 *     nameLength     UINT16  bytes of the name
 *     name           UTF-8   a processor node's name (`KSTREAM-AGGREGATE-0000000003`), or a
 *                            stream-stream join's name (both sides share one stream time)
 *     streamTimeMs   INT64   that node's stream time: the largest timestamp it had seen
 *
 * Every commit of a task carries the task's node stream times as of that commit (they only grow),
 * so a starting task takes, per node, the largest over its input partitions' committed metadata.
 * A node without an entry (a topology that gained a node, or entries dropped for size) starts at
 * the task's stream time: the largest partition time. The encoded string stays within
 * `MAX_METADATA_CHARS` (Kafka's default `offset.metadata.max.bytes`, 4096, which Spool also
 * enforces): past it, the node entries are left out and only the partition time is kept.
 *
 * Decoding never throws: metadata that is empty, not base64, of another magic or version, or
 * truncated decodes as `undefined`, and the task starts with unknown stream time (as before this
 * format existed). The committed string is written once per commit and read once per task start;
 * nothing else depends on it.
 */

export interface StreamTimeCheckpoint {
  /** The largest timestamp processed from this input partition; -1 if none. */
  readonly partitionTimeMs: number;
  /** Stream time per node name. */
  readonly nodeStreamTimesMs: ReadonlyMap<string, number>;
}

const MAGIC = 0x53;
const VERSION = 1;
/** Kafka's default `offset.metadata.max.bytes`; base64 is ASCII, so characters are bytes. */
export const MAX_METADATA_CHARS = 4_096;

export function encodeStreamTimeMetadata(checkpoint: StreamTimeCheckpoint): string {
  const withNodes = encode(checkpoint.partitionTimeMs, checkpoint.nodeStreamTimesMs);
  if (withNodes.length <= MAX_METADATA_CHARS) return withNodes;
  return encode(checkpoint.partitionTimeMs, new Map());
}

function encode(partitionTimeMs: number, nodes: ReadonlyMap<string, number>): string {
  const names = [...nodes.keys()].map((name) => Buffer.from(name, 'utf8'));
  const size = 2 + 8 + 2 + names.reduce((sum, name) => sum + 2 + name.length + 8, 0);
  const bytes = Buffer.alloc(size);
  let at = bytes.writeUInt8(MAGIC, 0);
  at = bytes.writeUInt8(VERSION, at);
  at = bytes.writeBigInt64BE(BigInt(partitionTimeMs), at);
  at = bytes.writeUInt16BE(names.length, at);
  let i = 0;
  for (const timeMs of nodes.values()) {
    const name = names[i++];
    at = bytes.writeUInt16BE(name.length, at);
    at += name.copy(bytes, at);
    at = bytes.writeBigInt64BE(BigInt(timeMs), at);
  }
  return bytes.toString('base64');
}

/** The checkpoint in `metadata`, or undefined if it holds none this version can read. */
export function decodeStreamTimeMetadata(metadata: string | null | undefined): StreamTimeCheckpoint | undefined {
  if (metadata === null || metadata === undefined || metadata.length === 0) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(metadata)) return undefined;
  const bytes = Buffer.from(metadata, 'base64');
  if (bytes.length < 12 || bytes[0] !== MAGIC || bytes[1] !== VERSION) return undefined;
  const partitionTimeMs = safeTime(bytes.readBigInt64BE(2));
  if (partitionTimeMs === undefined) return undefined;
  const count = bytes.readUInt16BE(10);
  const nodeStreamTimesMs = new Map<string, number>();
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + 2 > bytes.length) return undefined;
    const nameLength = bytes.readUInt16BE(at);
    at += 2;
    if (at + nameLength + 8 > bytes.length) return undefined;
    const name = bytes.toString('utf8', at, at + nameLength);
    at += nameLength;
    const timeMs = safeTime(bytes.readBigInt64BE(at));
    at += 8;
    if (timeMs === undefined) return undefined;
    nodeStreamTimesMs.set(name, timeMs);
  }
  if (at !== bytes.length) return undefined;
  return { partitionTimeMs, nodeStreamTimesMs };
}

/** A timestamp as a safe integer (-1 = none); anything else is not ours. */
function safeTime(value: bigint): number | undefined {
  if (value < -1n || value > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(value);
}
