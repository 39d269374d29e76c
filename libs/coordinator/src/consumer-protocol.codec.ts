/**
 * Kafka's consumer embedded protocol: the bytes a "consumer" member puts in JoinGroup protocol
 * metadata (its subscription) and the leader puts in SyncGroup (each member's assignment). The
 * coordinator only relays these for Kafka clients; it decodes them to describe groups and to run
 * server-side assignment for WebSocket members, which use the same encoding.
 *
 * ConsumerProtocolSubscription (all fields big-endian, classic primitives):
 *   version          int16            0..3 (higher versions are read as 3, trailing bytes ignored)
 *   topics           ARRAY of STRING
 *   userData         NULLABLE_BYTES
 *   ownedPartitions  ARRAY of { topic STRING, partitions ARRAY of int32 }   v1+
 *   generationId     int32 (-1: none)                                        v2+
 *   rackId           NULLABLE_STRING                                         v3+
 *
 * ConsumerProtocolAssignment:
 *   version             int16         0..3
 *   assignedPartitions  ARRAY of { topic STRING, partitions ARRAY of int32 }
 *   userData            NULLABLE_BYTES
 */
import { ByteReader, ByteWriter } from '@spool/protocol';
import type { TopicPartition } from './topic-partition.js';
import {
  readArrayCount,
  readNullableBytes,
  readNullableString,
  readString,
  writeNullableBytes,
  writeNullableString,
  writeString,
} from './classic-primitives.js';

export interface ConsumerSubscription {
  readonly topics: readonly string[];
  readonly userData: Buffer | null;
  readonly ownedPartitions: readonly TopicPartition[];
  /** The generation the owned partitions were assigned in; null when the member did not say. */
  readonly generationId: number | null;
  readonly rackId: string | null;
}

export interface ConsumerAssignment {
  readonly partitions: readonly TopicPartition[];
  readonly userData: Buffer | null;
}

const LATEST_VERSION = 3;

function writeTopicPartitions(w: ByteWriter, partitions: readonly TopicPartition[]): void {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) {
    const list = byTopic.get(tp.topic) ?? [];
    list.push(tp.partition);
    byTopic.set(tp.topic, list);
  }
  w.writeInt32(byTopic.size);
  for (const [topic, list] of byTopic) {
    writeString(w, topic);
    w.writeInt32(list.length);
    for (const p of list) w.writeInt32(p);
  }
}

function readTopicPartitions(r: ByteReader, what: string): TopicPartition[] {
  const out: TopicPartition[] = [];
  const topics = readArrayCount(r, 6, what);
  for (let i = 0; i < topics; i++) {
    const topic = readString(r, `${what} topic`);
    const count = readArrayCount(r, 4, `${what} partitions`);
    for (let j = 0; j < count; j++) out.push({ topic, partition: r.readInt32() });
  }
  return out;
}

export function encodeConsumerSubscription(sub: Partial<ConsumerSubscription> & { topics: readonly string[] }, version = LATEST_VERSION): Buffer {
  const w = new ByteWriter(64);
  w.writeInt16(version);
  w.writeInt32(sub.topics.length);
  for (const t of sub.topics) writeString(w, t);
  writeNullableBytes(w, sub.userData ?? null);
  if (version >= 1) writeTopicPartitions(w, sub.ownedPartitions ?? []);
  if (version >= 2) w.writeInt32(sub.generationId ?? -1);
  if (version >= 3) writeNullableString(w, sub.rackId ?? null);
  return Buffer.from(w.toBuffer());
}

/** Throws ProtocolError CORRUPT_MESSAGE on malformed bytes. */
export function decodeConsumerSubscription(bytes: Buffer): ConsumerSubscription {
  const r = new ByteReader(bytes);
  const version = Math.min(r.readInt16(), LATEST_VERSION);
  const count = readArrayCount(r, 2, 'subscription topics');
  const topics: string[] = [];
  for (let i = 0; i < count; i++) topics.push(readString(r, 'subscription topic'));
  const userData = readNullableBytes(r, 'subscription userData');
  const ownedPartitions = version >= 1 && r.remaining > 0 ? readTopicPartitions(r, 'ownedPartitions') : [];
  let generationId: number | null = null;
  if (version >= 2 && r.remaining >= 4) {
    const g = r.readInt32();
    generationId = g < 0 ? null : g;
  }
  const rackId = version >= 3 && r.remaining >= 2 ? readNullableString(r, 'rackId') : null;
  return { topics, userData, ownedPartitions, generationId, rackId };
}

export function encodeConsumerAssignment(assignment: { partitions: readonly TopicPartition[]; userData?: Buffer | null }, version = LATEST_VERSION): Buffer {
  const w = new ByteWriter(64);
  w.writeInt16(version);
  writeTopicPartitions(w, assignment.partitions);
  writeNullableBytes(w, assignment.userData ?? null);
  return Buffer.from(w.toBuffer());
}

/** An empty buffer (what Kafka sends a member with nothing assigned) decodes to no partitions. */
export function decodeConsumerAssignment(bytes: Buffer): ConsumerAssignment {
  if (bytes.length === 0) return { partitions: [], userData: null };
  const r = new ByteReader(bytes);
  r.readInt16();
  const partitions = readTopicPartitions(r, 'assignedPartitions');
  const userData = r.remaining > 0 ? readNullableBytes(r, 'assignment userData') : null;
  return { partitions, userData };
}
