import { newTopicId } from '@spool/common';
import { ClusterError } from './cluster.error.js';
import {
  ClusterKeys,
  decodeBrokerRegistration,
  decodeController,
  decodeControllerEpoch,
  decodePartitionState,
  decodeProducerIdBlock,
  decodeTopic,
  encodeBrokerRegistration,
  encodeController,
  encodePartitionState,
  encodeProducerIdBlock,
  encodeTopic,
} from './metadata-codec.js';
import type { PartitionStateFields } from './metadata-types.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ClusterError ? err.code : String(err);
  }
  return undefined;
}

describe('ClusterKeys', () => {
  const keys = new ClusterKeys('prod-eu');

  it('builds every key under /<cluster>/ and parses them back', () => {
    expect(keys.broker(3)).toBe('/prod-eu/brokers/3');
    expect(keys.partition('orders.v2', 11)).toBe('/prod-eu/partitions/orders.v2/11');
    expect(keys.parse(keys.broker(3))).toEqual({ kind: 'broker', brokerId: 3 });
    expect(keys.parse(keys.partition('orders.v2', 11))).toEqual({ kind: 'partition', topic: 'orders.v2', partition: 11 });
    expect(keys.parse(keys.topic('t'))).toEqual({ kind: 'topic', topic: 't' });
    expect(keys.parse(keys.controller())).toEqual({ kind: 'controller' });
    expect(keys.parse(keys.controllerEpoch())).toEqual({ kind: 'controller-epoch' });
    expect(keys.parse(keys.clusterId())).toEqual({ kind: 'cluster-id' });
    expect(keys.parse(keys.producerIds())).toEqual({ kind: 'producer-ids' });
  });

  it('treats other keys, other clusters and malformed ids as unknown', () => {
    for (const key of ['/prod/brokers/3', '/prod-eu/brokers/03', '/prod-eu/brokers/x', '/prod-eu/partitions/t', '/prod-eu/partitions/t/1/2', '/prod-eu/other']) {
      expect([key, keys.parse(key).kind]).toEqual([key, 'unknown']);
    }
  });

  it('refuses a cluster name that could escape its prefix', () => {
    expect(codeOf(() => new ClusterKeys('a/b'))).toBe('INVALID_CONFIG');
    expect(codeOf(() => new ClusterKeys(''))).toBe('INVALID_CONFIG');
  });
});

describe('value codecs', () => {
  const state: PartitionStateFields = {
    topicId: newTopicId(),
    leader: null,
    leaderEpoch: 3,
    partitionEpoch: 8,
    replicas: [1, 2],
    isr: [2],
    addingReplicas: [],
    removingReplicas: [1],
    leaderRecoveryState: 'RECOVERING',
    controllerEpoch: 4,
    leaderBrokerEpoch: null,
  };

  it('round-trips every value', () => {
    expect(decodePartitionState('k', encodePartitionState(state), 't', 0, 77)).toEqual({ ...state, topic: 't', partition: 0, modRevision: 77 });
    const topic = { name: 't', topicId: state.topicId, partitions: 2, configs: { 'retention.ms': '5' }, assignment: [[1], [2]] };
    expect(decodeTopic('k', encodeTopic(topic), 't', 9)).toEqual({ ...topic, modRevision: 9 });
    const broker = { host: 'h', kafkaPort: 1, httpPort: 2, rack: 'r1', incarnationId: 'i', startTimeMs: 5, controlledShutdown: true };
    expect(decodeBrokerRegistration('k', encodeBrokerRegistration(broker), 7, 40)).toEqual({ ...broker, brokerId: 7, brokerEpoch: 40 });
    expect(decodeController('k', encodeController({ brokerId: 1, controllerEpoch: 2, incarnationId: 'i' }), 50)).toEqual({ brokerId: 1, controllerEpoch: 2, incarnationId: 'i', electionRevision: 50 });
    expect(decodeProducerIdBlock('k', encodeProducerIdBlock({ brokerId: 1, blockStart: 1000, blockEnd: 1999 }))).toEqual({ brokerId: 1, blockStart: 1000, blockEnd: 1999 });
    expect(decodeControllerEpoch('k', '12')).toBe(12);
  });

  it('ignores fields a later version adds', () => {
    const later = JSON.stringify({ ...JSON.parse(encodePartitionState(state)), version: 2, lastKnownElr: [1] });
    expect(decodePartitionState('k', later, 't', 0, 1).isr).toEqual([2]);
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['no version', JSON.stringify({ ...state })],
    ['an ISR outside the replicas', encodePartitionState({ ...state, isr: [3] })],
    ['an empty ISR', encodePartitionState({ ...state, isr: [] })],
    ['a fractional epoch', encodePartitionState({ ...state, leaderEpoch: 1.5 })],
    ['a bad recovery state', encodePartitionState({ ...state, leaderRecoveryState: 'MAYBE' as never })],
  ])('refuses %s as CORRUPT_MESSAGE naming the key', (_what, text) => {
    try {
      decodePartitionState('/c/partitions/t/0', text, 't', 0, 1);
      throw new Error('decoded');
    } catch (err) {
      expect(err).toBeInstanceOf(ClusterError);
      expect((err as ClusterError).code).toBe('CORRUPT_MESSAGE');
      expect((err as ClusterError).message).toContain('/c/partitions/t/0');
    }
  });

  it('refuses a topic whose assignment does not match its partition count', () => {
    const text = encodeTopic({ name: 't', topicId: 'x', partitions: 3, configs: {}, assignment: [[1]] });
    expect(codeOf(() => decodeTopic('k', text, 't', 1))).toBe('CORRUPT_MESSAGE');
  });
});
