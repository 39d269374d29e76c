import { ProtocolError } from '@spool/protocol';
import {
  decodeConsumerOffsetsKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
} from './consumer-offsets.codec.js';
import { decodeConsumerAssignment, decodeConsumerSubscription, encodeConsumerAssignment, encodeConsumerSubscription } from './consumer-protocol.codec.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

describe('__consumer_offsets records: golden bytes in Kafka format', () => {
  it('OffsetCommitKey version 1 (group "g1", topic "t", partition 3)', () => {
    // int16 key version 1 | STRING "g1" (int16 len 2, 'g' '1') | STRING "t" | int32 partition 3
    const golden = hex('0001 | 0002 6731 | 0001 74 | 00000003');
    expect(encodeOffsetCommitKey('g1', 't', 3).equals(golden)).toBe(true);
    expect(decodeConsumerOffsetsKey(golden)).toEqual({ type: 'offset', group: 'g1', topic: 't', partition: 3 });
  });

  it('OffsetCommitValue version 3 (offset 42, leaderEpoch 5, metadata "m", commit at 1700000000000)', () => {
    // int16 value version 3 | int64 offset 42 | int32 leaderEpoch 5 | STRING "m" | int64 commitTimestamp
    // 1_700_000_000_000 = 0x0000018BCFE56800
    const golden = hex('0003 | 000000000000002a | 00000005 | 0001 6d | 0000018bcfe56800');
    const value = { offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestampMs: 1_700_000_000_000 };
    expect(encodeOffsetCommitValue(value).equals(golden)).toBe(true);
    expect(decodeOffsetCommitValue(golden)).toEqual(value);
  });

  it('an unknown leader epoch is -1 on disk and null in memory', () => {
    const bytes = encodeOffsetCommitValue({ offset: 0, leaderEpoch: null, metadata: '', commitTimestampMs: 0 });
    expect(bytes.subarray(10, 14).equals(hex('ffffffff'))).toBe(true);
    expect(decodeOffsetCommitValue(bytes).leaderEpoch).toBeNull();
  });

  it('reads OffsetCommitValue version 1 (with expireTimestamp) as Kafka 2.0 wrote it', () => {
    // version 1 | offset 7 | STRING "" | commitTimestamp 1 | expireTimestamp 2
    const v1 = hex('0001 | 0000000000000007 | 0000 | 0000000000000001 | 0000000000000002');
    expect(decodeOffsetCommitValue(v1)).toEqual({ offset: 7, leaderEpoch: null, metadata: '', commitTimestampMs: 1 });
  });

  it('GroupMetadataKey version 2 and an unknown key version', () => {
    expect(encodeGroupMetadataKey('g1').equals(hex('0002 | 0002 6731'))).toBe(true);
    expect(decodeConsumerOffsetsKey(hex('0002 0002 6731'))).toEqual({ type: 'group', group: 'g1' });
    expect(decodeConsumerOffsetsKey(hex('0005 0002 6731'))).toEqual({ type: 'unknown', version: 5 });
  });

  it('GroupMetadataValue version 3 golden bytes and round trip', () => {
    const value: GroupMetadataValue = {
      protocolType: 'consumer',
      generationId: 1,
      protocolName: 'range',
      leaderId: 'm',
      currentStateTimestampMs: 1,
      members: [
        { memberId: 'm', groupInstanceId: null, clientId: 'c', clientHost: 'h', rebalanceTimeoutMs: 2, sessionTimeoutMs: 3, subscription: hex('aa'), assignment: hex('bbcc') },
      ],
    };
    const golden = hex(
      '0003 | 0008 636f6e73756d6572 | 00000001 | 0005 72616e6765 | 0001 6d | 0000000000000001 | 00000001' +
        '| 0001 6d | ffff | 0001 63 | 0001 68 | 00000002 | 00000003 | 00000001 aa | 00000002 bbcc',
    );
    expect(encodeGroupMetadataValue(value).equals(golden)).toBe(true);
    expect(decodeGroupMetadataValue(golden)).toEqual(value);
  });

  it('refuses truncated records at every length, and unsupported value versions', () => {
    const key = encodeOffsetCommitKey('group', 'topic', 1);
    const value = encodeOffsetCommitValue({ offset: 1, leaderEpoch: 1, metadata: 'x', commitTimestampMs: 1 });
    for (let n = 0; n < key.length; n++) expect(() => decodeConsumerOffsetsKey(key.subarray(0, n))).toThrow(ProtocolError);
    for (let n = 0; n < value.length; n++) expect(() => decodeOffsetCommitValue(value.subarray(0, n))).toThrow(ProtocolError);
    expect(() => decodeOffsetCommitValue(hex('0004 0000000000000001'))).toThrow(/version 4/);
  });

  it('refuses an int16 string length larger than what remains', () => {
    expect(() => decodeConsumerOffsetsKey(hex('0001 7fff 61'))).toThrow(/needs 32767 bytes/);
  });
});

describe('consumer embedded protocol', () => {
  it('round-trips a v3 subscription with owned partitions and generation', () => {
    const sub = { topics: ['a', 'b'], userData: null, ownedPartitions: [{ topic: 'a', partition: 1 }, { topic: 'a', partition: 2 }], generationId: 4, rackId: null };
    expect(decodeConsumerSubscription(encodeConsumerSubscription(sub))).toEqual(sub);
  });

  it('reads a v0 subscription as kafkajs sends it', () => {
    // version 0 | topics [ "t" ] | userData null
    const v0 = hex('0000 | 00000001 0001 74 | ffffffff');
    expect(decodeConsumerSubscription(v0)).toEqual({ topics: ['t'], userData: null, ownedPartitions: [], generationId: null, rackId: null });
  });

  it('round-trips an assignment; empty bytes are an empty assignment', () => {
    const partitions = [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 3 }];
    expect(decodeConsumerAssignment(encodeConsumerAssignment({ partitions })).partitions).toEqual(partitions);
    expect(decodeConsumerAssignment(Buffer.alloc(0)).partitions).toEqual([]);
  });

  it('refuses a hostile array count before allocating', () => {
    expect(() => decodeConsumerSubscription(hex('0000 7fffffff'))).toThrow(ProtocolError);
  });
});
