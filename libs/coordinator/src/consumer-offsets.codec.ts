/**
 * Records of the internal compacted topic `__consumer_offsets`, in Kafka's own formats, so a
 * reader who knows Kafka's GroupMetadataManager can read Spool's topic (and Kafka tools can
 * decode it). Every record is a key and a value; a null value is a tombstone that compaction
 * keeps until it deletes every older record of the key.
 *
 * All integers big-endian; STRING = int16 length + UTF-8, NULLABLE_STRING = int16 length (-1 null)
 * + UTF-8, BYTES = int32 length + bytes, ARRAY = int32 count + elements.
 *
 * Key: int16 key version, then
 *   version 0 or 1  OffsetCommitKey     group STRING, topic STRING, partition int32
 *                                        (Spool writes version 1, as Kafka does)
 *   version 2       GroupMetadataKey    group STRING
 *   other           not Spool's (Kafka's newer consumer/share group records): skipped on replay
 *
 * OffsetCommitValue: int16 value version (Spool writes 3), then
 *   offset           int64   the next offset to consume (Kafka's committed position)
 *   leaderEpoch      int32   v3+, -1 when unknown
 *   metadata         STRING  client-supplied, at most `offsetMetadataMaxBytes`
 *   commitTimestamp  int64   ms since the epoch, on the coordinator's clock
 *   expireTimestamp  int64   v1 only (read and ignored: expiry is computed from retention)
 *   A null value deletes the committed offset (expiry, delete group, offset delete).
 *
 * GroupMetadataValue: int16 value version (Spool writes 3), then
 *   protocolType           STRING           "consumer", "spool-ws", ... ("" for none)
 *   generation             int32
 *   protocol               NULLABLE_STRING  the selected assignor/protocol name
 *   leader                 NULLABLE_STRING  leader member id
 *   currentStateTimestamp  int64            v2+, -1 when unknown; when the group entered its state
 *   members                ARRAY of
 *     memberId             STRING
 *     groupInstanceId      NULLABLE_STRING  v3+ (Spool: always null, no static membership)
 *     clientId             STRING
 *     clientHost           STRING
 *     rebalanceTimeout     int32            v1+
 *     sessionTimeout       int32
 *     subscription         BYTES            the selected protocol's member metadata
 *     assignment           BYTES
 *   A null value deletes the group (Kafka writes it when a group becomes Dead).
 *
 * Crash behaviour: records are appended by the app's OffsetLog; a crash can lose a suffix of
 * unflushed records (the commit was not acknowledged, or acknowledged per the OffsetLog's
 * contract) but never leaves a half record, since the log engine's batches are CRC-checked and
 * recovery truncates a torn tail. Replay applies records in log order, last one per key wins.
 */
import { ByteReader, ByteWriter, ProtocolError } from '@spool/protocol';
import {
  readArrayCount,
  readBytes,
  readNullableString,
  readString,
  writeNullableString,
  writeString,
} from './classic-primitives.js';

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const GROUP_METADATA_VALUE_VERSION = 3;

export interface OffsetCommitKey {
  readonly type: 'offset';
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

export interface GroupMetadataKey {
  readonly type: 'group';
  readonly group: string;
}

export interface UnknownKey {
  readonly type: 'unknown';
  readonly version: number;
}

export type ConsumerOffsetsKey = OffsetCommitKey | GroupMetadataKey | UnknownKey;

export interface OffsetCommitValue {
  readonly offset: number;
  /** null when unknown (-1 on disk). */
  readonly leaderEpoch: number | null;
  readonly metadata: string;
  readonly commitTimestampMs: number;
}

export interface GroupMemberRecord {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly subscription: Buffer;
  readonly assignment: Buffer;
}

export interface GroupMetadataValue {
  readonly protocolType: string;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  /** null when unknown (-1 on disk). */
  readonly currentStateTimestampMs: number | null;
  readonly members: readonly GroupMemberRecord[];
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new ByteWriter(8 + group.length + topic.length);
  w.writeInt16(OFFSET_COMMIT_KEY_VERSION);
  writeString(w, group);
  writeString(w, topic);
  w.writeInt32(partition);
  return Buffer.from(w.toBuffer());
}

export function encodeGroupMetadataKey(group: string): Buffer {
  const w = new ByteWriter(4 + group.length);
  w.writeInt16(GROUP_METADATA_KEY_VERSION);
  writeString(w, group);
  return Buffer.from(w.toBuffer());
}

/** Throws ProtocolError CORRUPT_MESSAGE on malformed bytes; unknown key versions are `unknown`. */
export function decodeConsumerOffsetsKey(bytes: Buffer): ConsumerOffsetsKey {
  const r = new ByteReader(bytes);
  const version = r.readInt16();
  if (version === 0 || version === 1) {
    const group = readString(r, 'OffsetCommitKey group');
    const topic = readString(r, 'OffsetCommitKey topic');
    const partition = r.readInt32();
    return { type: 'offset', group, topic, partition };
  }
  if (version === GROUP_METADATA_KEY_VERSION) return { type: 'group', group: readString(r, 'GroupMetadataKey group') };
  return { type: 'unknown', version };
}

export function encodeOffsetCommitValue(value: OffsetCommitValue): Buffer {
  const w = new ByteWriter(32 + value.metadata.length);
  w.writeInt16(OFFSET_COMMIT_VALUE_VERSION);
  w.writeInt64(value.offset, 'offset');
  w.writeInt32(value.leaderEpoch ?? -1);
  writeString(w, value.metadata);
  w.writeInt64(value.commitTimestampMs, 'commitTimestamp');
  return Buffer.from(w.toBuffer());
}

/** Reads versions 0 to 3; version 4+ (flexible, Kafka 3.x+ written) is UNSUPPORTED_VERSION. */
export function decodeOffsetCommitValue(bytes: Buffer): OffsetCommitValue {
  const r = new ByteReader(bytes);
  const version = r.readInt16();
  if (version < 0 || version > 3) {
    throw new ProtocolError('UNSUPPORTED_VERSION', `OffsetCommitValue version ${version} is not supported (0 to 3)`);
  }
  const offset = r.readInt64('OffsetCommitValue offset');
  const epoch = version >= 3 ? r.readInt32() : -1;
  const metadata = readString(r, 'OffsetCommitValue metadata');
  const commitTimestampMs = r.readInt64('OffsetCommitValue commitTimestamp');
  if (version === 1) r.readInt64('OffsetCommitValue expireTimestamp');
  return { offset, leaderEpoch: epoch < 0 ? null : epoch, metadata, commitTimestampMs };
}

export function encodeGroupMetadataValue(value: GroupMetadataValue): Buffer {
  const w = new ByteWriter(128);
  w.writeInt16(GROUP_METADATA_VALUE_VERSION);
  writeString(w, value.protocolType);
  w.writeInt32(value.generationId);
  writeNullableString(w, value.protocolName);
  writeNullableString(w, value.leaderId);
  w.writeInt64(value.currentStateTimestampMs ?? -1, 'currentStateTimestamp');
  w.writeInt32(value.members.length);
  for (const m of value.members) {
    writeString(w, m.memberId);
    writeNullableString(w, m.groupInstanceId);
    writeString(w, m.clientId);
    writeString(w, m.clientHost);
    w.writeInt32(m.rebalanceTimeoutMs);
    w.writeInt32(m.sessionTimeoutMs);
    w.writeInt32(m.subscription.length);
    w.writeBytes(m.subscription);
    w.writeInt32(m.assignment.length);
    w.writeBytes(m.assignment);
  }
  return Buffer.from(w.toBuffer());
}

/** Reads versions 0 to 3; version 4+ is UNSUPPORTED_VERSION. */
export function decodeGroupMetadataValue(bytes: Buffer): GroupMetadataValue {
  const r = new ByteReader(bytes);
  const version = r.readInt16();
  if (version < 0 || version > 3) {
    throw new ProtocolError('UNSUPPORTED_VERSION', `GroupMetadataValue version ${version} is not supported (0 to 3)`);
  }
  const protocolType = readString(r, 'protocolType');
  const generationId = r.readInt32();
  const protocolName = readNullableString(r, 'protocol');
  const leaderId = readNullableString(r, 'leader');
  const ts = version >= 2 ? r.readInt64('currentStateTimestamp') : -1;
  const count = readArrayCount(r, 20, 'members');
  const members: GroupMemberRecord[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = readString(r, 'memberId');
    const groupInstanceId = version >= 3 ? readNullableString(r, 'groupInstanceId') : null;
    const clientId = readString(r, 'clientId');
    const clientHost = readString(r, 'clientHost');
    const sessionOrRebalance = r.readInt32();
    const sessionTimeoutMs = version >= 1 ? r.readInt32() : sessionOrRebalance;
    const subscription = Buffer.from(readBytes(r, 'subscription'));
    const assignment = Buffer.from(readBytes(r, 'assignment'));
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs: sessionOrRebalance, sessionTimeoutMs, subscription, assignment });
  }
  return { protocolType, generationId, protocolName, leaderId, currentStateTimestampMs: ts < 0 ? null : ts, members };
}
