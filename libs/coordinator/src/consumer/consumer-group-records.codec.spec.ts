import { ProtocolError } from '@spool/protocol';
import { MemberState } from './consumer-group-member.js';
import {
  decodeConsumerGroupRecordKey,
  decodeCurrentMemberAssignmentValue,
  decodeGroupEpochValue,
  decodeMemberMetadataValue,
  decodePartitionMetadataValue,
  decodeTargetAssignmentMemberValue,
  encodeConsumerGroupRecordKey,
  encodeCurrentMemberAssignmentValue,
  encodeGroupEpochValue,
  encodeMemberMetadataValue,
  encodePartitionMetadataValue,
  encodeTargetAssignmentMemberValue,
} from './consumer-group-records.codec.js';

const TOPIC_ID = Buffer.from('00000000000000000000000000000001', 'hex').toString('base64url');
const hex = (b: Buffer) => b.toString('hex');

describe('KIP-848 group records (Kafka 4 formats)', () => {
  it('keys: int16 record type, then non-flexible strings (golden bytes)', () => {
    expect(hex(encodeConsumerGroupRecordKey({ type: 'groupMetadata', groupId: 'g1' }))).toBe('0003' + '0002' + '6731');
    expect(hex(encodeConsumerGroupRecordKey({ type: 'currentMemberAssignment', groupId: 'g1', memberId: 'm' }))).toBe('0008' + '0002' + '6731' + '0001' + '6d');
    expect(decodeConsumerGroupRecordKey(Buffer.from('000700026731000161', 'hex'))).toEqual({ type: 'targetAssignmentMember', groupId: 'g1', memberId: 'a' });
    // Classic records (versions 0-2) are not ours.
    expect(decodeConsumerGroupRecordKey(Buffer.from('000200026731', 'hex'))).toBeNull();
  });

  it('values: int16 version 0, flexible fields, empty tagged-field sections (golden bytes)', () => {
    expect(hex(encodeGroupEpochValue(5))).toBe('0000' + '00000005' + '00');
    const current = { memberEpoch: 3, previousMemberEpoch: 2, state: MemberState.UnrevokedPartitions, assignedPartitions: new Map([[TOPIC_ID, new Set([2, 0])]]), partitionsPendingRevocation: new Map() };
    expect(hex(encodeCurrentMemberAssignmentValue(current))).toBe(
      '0000' + '00000003' + '00000002' + '01' + '02' + '00000000000000000000000000000001' + '03' + '00000000' + '00000002' + '00' + '01' + '00',
    );
    expect(decodeCurrentMemberAssignmentValue(encodeCurrentMemberAssignmentValue(current))).toEqual({ ...current, assignedPartitions: new Map([[TOPIC_ID, new Set([0, 2])]]) });
  });

  it('round-trips member metadata, subscribed topics and target assignments', () => {
    const metadata = { instanceId: 'host-1', rackId: null, clientId: 'rdkafka', clientHost: '/127.0.0.1', subscribedTopicNames: ['a', 'b'], subscribedTopicRegex: null, rebalanceTimeoutMs: 30_000, serverAssignor: 'uniform' };
    expect(decodeMemberMetadataValue(encodeMemberMetadataValue(metadata))).toEqual(metadata);
    const topics = [{ topicId: TOPIC_ID, topicName: 'orders', numPartitions: 6 }];
    expect(decodePartitionMetadataValue(encodePartitionMetadataValue(topics))).toEqual(topics);
    const target = new Map([[TOPIC_ID, new Set([1, 4])]]);
    expect(decodeTargetAssignmentMemberValue(encodeTargetAssignmentMemberValue(target))).toEqual(target);
  });

  it('skips tagged fields a newer Kafka wrote (4.1 MetadataHash) and refuses other value versions', () => {
    // epoch 7, then one tagged field: tag 0, size 8, an int64 hash.
    const withHash = Buffer.from('0000' + '00000007' + '01' + '00' + '08' + '0102030405060708', 'hex');
    expect(decodeGroupEpochValue(withHash)).toBe(7);
    expect(() => decodeGroupEpochValue(Buffer.from('000100000007', 'hex'))).toThrow(ProtocolError);
    // A count larger than what remains is refused before anything is allocated.
    expect(() => decodeTargetAssignmentMemberValue(Buffer.from('0000' + 'ffffff0f', 'hex'))).toThrow(/elements, only/);
  });
});
