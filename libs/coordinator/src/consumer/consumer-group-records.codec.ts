/**
 * The `__consumer_offsets` records of KIP-848 consumer groups, in Kafka 4's formats, so that the
 * topic reads as Kafka's (and a reload restores the groups). Every record is a key and a value; a
 * null value is a tombstone.
 *
 * Keys (not flexible): int16 key version = record type, then
 *   3  ConsumerGroupMetadataKey                  groupId STRING
 *   4  ConsumerGroupPartitionMetadataKey         groupId STRING
 *   5  ConsumerGroupMemberMetadataKey            groupId STRING, memberId STRING
 *   6  ConsumerGroupTargetAssignmentMetadataKey  groupId STRING
 *   7  ConsumerGroupTargetAssignmentMemberKey    groupId STRING, memberId STRING
 *   8  ConsumerGroupCurrentMemberAssignmentKey   groupId STRING, memberId STRING
 * (STRING = int16 length + UTF-8; versions 0-2 are the classic records of consumer-offsets.codec.ts.)
 *
 * Values: int16 value version (0), then flexible fields (see flexible-primitives.ts), each struct
 * ending with a tagged-field section (Spool writes none; Kafka 4.1+ adds MetadataHash and others
 * as tagged fields, skipped on read):
 *   3  ConsumerGroupMetadataValue                 epoch int32 (the group epoch)
 *   4  ConsumerGroupPartitionMetadataValue        topics [ {topicId UUID, topicName STRING,
 *                                                 numPartitions int32, partitionMetadata [ {partition
 *                                                 int32, racks [STRING]} ]} ] (Spool: no racks)
 *   5  ConsumerGroupMemberMetadataValue           instanceId NULLABLE, rackId NULLABLE, clientId,
 *                                                 clientHost, subscribedTopicNames [STRING],
 *                                                 subscribedTopicRegex NULLABLE, rebalanceTimeoutMs
 *                                                 int32, serverAssignor NULLABLE
 *   6  ConsumerGroupTargetAssignmentMetadataValue assignmentEpoch int32
 *   7  ConsumerGroupTargetAssignmentMemberValue   topicPartitions [ {topicId UUID, partitions [int32]} ]
 *   8  ConsumerGroupCurrentMemberAssignmentValue  memberEpoch int32, previousMemberEpoch int32,
 *                                                 state int8 (MemberState), assignedPartitions and
 *                                                 partitionsPendingRevocation, both [ {topicId UUID,
 *                                                 partitions [int32]} ]
 *
 * Order matters (Kafka's): a member's records go metadata, target, current; tombstones go current,
 * target, metadata; a deleted group's last tombstone is its ConsumerGroupMetadata record.
 */
import { ByteReader, ByteWriter, ProtocolError } from '@spool/protocol';
import { readString, writeString } from '../classic-primitives.js';
import { assignmentFromList, assignmentToList, type Assignment, type TopicIdPartitions } from './assignment.js';
import {
  newWriter,
  readCompactArray,
  readCompactNullableString,
  readCompactString,
  readUuid,
  skipTaggedFields,
  writeCompactArray,
  writeCompactNullableString,
  writeCompactString,
  writeNoTaggedFields,
  writeUuid,
} from './flexible-primitives.js';
import { memberStateOf, type MemberState } from './consumer-group-member.js';

export const CONSUMER_GROUP_RECORD_TYPES = { groupMetadata: 3, partitionMetadata: 4, memberMetadata: 5, targetAssignmentMetadata: 6, targetAssignmentMember: 7, currentMemberAssignment: 8 } as const;

export type ConsumerGroupRecordKey =
  | { readonly type: 'groupMetadata' | 'partitionMetadata' | 'targetAssignmentMetadata'; readonly groupId: string }
  | { readonly type: 'memberMetadata' | 'targetAssignmentMember' | 'currentMemberAssignment'; readonly groupId: string; readonly memberId: string };

const TYPE_BY_VERSION = new Map(Object.entries(CONSUMER_GROUP_RECORD_TYPES).map(([type, version]) => [version as number, type as ConsumerGroupRecordKey['type']]));
const PER_MEMBER = new Set<ConsumerGroupRecordKey['type']>(['memberMetadata', 'targetAssignmentMember', 'currentMemberAssignment']);
const VALUE_VERSION = 0;

export function encodeConsumerGroupRecordKey(key: ConsumerGroupRecordKey): Buffer {
  const w = new ByteWriter(64);
  w.writeInt16(CONSUMER_GROUP_RECORD_TYPES[key.type]);
  writeString(w, key.groupId);
  if ('memberId' in key) writeString(w, key.memberId);
  return Buffer.from(w.toBuffer());
}

/** The key of a KIP-848 record, or null when the key version is not one of 3-8 (another record type). */
export function decodeConsumerGroupRecordKey(bytes: Buffer): ConsumerGroupRecordKey | null {
  const r = new ByteReader(bytes);
  const type = TYPE_BY_VERSION.get(r.readInt16());
  if (type === undefined) return null;
  const groupId = readString(r, `${type} key groupId`);
  if (PER_MEMBER.has(type)) return { type, groupId, memberId: readString(r, `${type} key memberId`) } as ConsumerGroupRecordKey;
  return { type, groupId } as ConsumerGroupRecordKey;
}

function value(write: (w: ByteWriter) => void): Buffer {
  const w = newWriter();
  w.writeInt16(VALUE_VERSION);
  write(w);
  writeNoTaggedFields(w);
  return Buffer.from(w.toBuffer());
}

function reader(bytes: Buffer, what: string): ByteReader {
  const r = new ByteReader(bytes);
  const version = r.readInt16();
  if (version !== VALUE_VERSION) throw new ProtocolError('UNSUPPORTED_VERSION', `${what} version ${version} is not supported (0)`);
  return r;
}

function writeTopicPartitions(w: ByteWriter, assignment: Assignment): void {
  writeCompactArray(w, assignmentToList(assignment), (w2, t) => {
    writeUuid(w2, t.topicId);
    writeCompactArray(w2, t.partitions, (w3, p) => w3.writeInt32(p));
    writeNoTaggedFields(w2);
  });
}

function readTopicPartitions(r: ByteReader, what: string): Assignment {
  const list = readCompactArray<TopicIdPartitions>(r, 18, what, (r2) => {
    const topicId = readUuid(r2, `${what} topicId`);
    const partitions = readCompactArray(r2, 4, `${what} partitions`, (r3) => r3.readInt32());
    skipTaggedFields(r2, what);
    return { topicId, partitions };
  });
  return assignmentFromList(list);
}

// ---------------------------------------------------------------- 3: group epoch

export function encodeGroupEpochValue(epoch: number): Buffer {
  return value((w) => w.writeInt32(epoch));
}

export function decodeGroupEpochValue(bytes: Buffer): number {
  const r = reader(bytes, 'ConsumerGroupMetadataValue');
  const epoch = r.readInt32();
  skipTaggedFields(r, 'ConsumerGroupMetadataValue');
  return epoch;
}

// ---------------------------------------------------------------- 4: subscribed topics

export interface PartitionMetadataTopic {
  readonly topicId: string;
  readonly topicName: string;
  readonly numPartitions: number;
}

export function encodePartitionMetadataValue(topics: readonly PartitionMetadataTopic[]): Buffer {
  const sorted = [...topics].sort((a, b) => (a.topicName < b.topicName ? -1 : a.topicName > b.topicName ? 1 : 0));
  return value((w) =>
    writeCompactArray(w, sorted, (w2, t) => {
      writeUuid(w2, t.topicId);
      writeCompactString(w2, t.topicName);
      w2.writeInt32(t.numPartitions);
      writeCompactArray(w2, [], () => undefined); // partitionMetadata: racks are not tracked
      writeNoTaggedFields(w2);
    }),
  );
}

export function decodePartitionMetadataValue(bytes: Buffer): PartitionMetadataTopic[] {
  const what = 'ConsumerGroupPartitionMetadataValue';
  const r = reader(bytes, what);
  const topics = readCompactArray(r, 22, `${what} topics`, (r2) => {
    const topicId = readUuid(r2, `${what} topicId`);
    const topicName = readCompactString(r2, `${what} topicName`);
    const numPartitions = r2.readInt32();
    readCompactArray(r2, 6, `${what} partitionMetadata`, (r3) => {
      r3.readInt32();
      readCompactArray(r3, 1, `${what} racks`, (r4) => readCompactString(r4, `${what} rack`));
      skipTaggedFields(r3, what);
      return null;
    });
    skipTaggedFields(r2, what);
    return { topicId, topicName, numPartitions };
  });
  skipTaggedFields(r, what);
  return topics;
}

// ---------------------------------------------------------------- 5: member metadata

export interface MemberMetadataValue {
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly serverAssignor: string | null;
}

export function encodeMemberMetadataValue(m: MemberMetadataValue): Buffer {
  return value((w) => {
    writeCompactNullableString(w, m.instanceId);
    writeCompactNullableString(w, m.rackId);
    writeCompactString(w, m.clientId);
    writeCompactString(w, m.clientHost);
    writeCompactArray(w, m.subscribedTopicNames, writeCompactString);
    writeCompactNullableString(w, m.subscribedTopicRegex);
    w.writeInt32(m.rebalanceTimeoutMs);
    writeCompactNullableString(w, m.serverAssignor);
  });
}

export function decodeMemberMetadataValue(bytes: Buffer): MemberMetadataValue {
  const what = 'ConsumerGroupMemberMetadataValue';
  const r = reader(bytes, what);
  const out: MemberMetadataValue = {
    instanceId: readCompactNullableString(r, `${what} instanceId`),
    rackId: readCompactNullableString(r, `${what} rackId`),
    clientId: readCompactString(r, `${what} clientId`),
    clientHost: readCompactString(r, `${what} clientHost`),
    subscribedTopicNames: readCompactArray(r, 1, `${what} subscribedTopicNames`, (r2) => readCompactString(r2, `${what} topic`)),
    subscribedTopicRegex: readCompactNullableString(r, `${what} subscribedTopicRegex`),
    rebalanceTimeoutMs: r.readInt32(),
    serverAssignor: readCompactNullableString(r, `${what} serverAssignor`),
  };
  skipTaggedFields(r, what);
  return out;
}

// ---------------------------------------------------------------- 6, 7: target assignment

export function encodeTargetAssignmentEpochValue(assignmentEpoch: number): Buffer {
  return value((w) => w.writeInt32(assignmentEpoch));
}

export function decodeTargetAssignmentEpochValue(bytes: Buffer): number {
  const r = reader(bytes, 'ConsumerGroupTargetAssignmentMetadataValue');
  const epoch = r.readInt32();
  skipTaggedFields(r, 'ConsumerGroupTargetAssignmentMetadataValue');
  return epoch;
}

export function encodeTargetAssignmentMemberValue(assignment: Assignment): Buffer {
  return value((w) => writeTopicPartitions(w, assignment));
}

export function decodeTargetAssignmentMemberValue(bytes: Buffer): Assignment {
  const what = 'ConsumerGroupTargetAssignmentMemberValue';
  const r = reader(bytes, what);
  const assignment = readTopicPartitions(r, `${what} topicPartitions`);
  skipTaggedFields(r, what);
  return assignment;
}

// ---------------------------------------------------------------- 8: current member assignment

export interface CurrentMemberAssignmentValue {
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberState;
  readonly assignedPartitions: Assignment;
  readonly partitionsPendingRevocation: Assignment;
}

export function encodeCurrentMemberAssignmentValue(v: CurrentMemberAssignmentValue): Buffer {
  return value((w) => {
    w.writeInt32(v.memberEpoch);
    w.writeInt32(v.previousMemberEpoch);
    w.writeInt8(v.state);
    writeTopicPartitions(w, v.assignedPartitions);
    writeTopicPartitions(w, v.partitionsPendingRevocation);
  });
}

export function decodeCurrentMemberAssignmentValue(bytes: Buffer): CurrentMemberAssignmentValue {
  const what = 'ConsumerGroupCurrentMemberAssignmentValue';
  const r = reader(bytes, what);
  const memberEpoch = r.readInt32();
  const previousMemberEpoch = r.readInt32();
  const state = memberStateOf(r.readInt8());
  const assignedPartitions = readTopicPartitions(r, `${what} assignedPartitions`);
  const partitionsPendingRevocation = readTopicPartitions(r, `${what} partitionsPendingRevocation`);
  skipTaggedFields(r, what);
  return { memberEpoch, previousMemberEpoch, state, assignedPartitions, partitionsPendingRevocation };
}
