/**
 * The in-memory view of one cluster's etcd keys, as typed records (Kafka's MetadataImage). It is
 * built from a full read and then moved forward one etcd event at a time, or compared with a
 * fresh full read (after the watch fell behind a compaction) to derive what changed meanwhile.
 *
 * Not thread-shared state in any interesting sense: one MetadataCache owns it and mutates it
 * from its watch callback; readers get immutable records.
 */
import type { Logger } from '@spool/common';
import type { EtcdKeyValue } from './etcd/etcd-connection.js';
import {
  decodeBrokerRegistration,
  decodeController,
  decodeControllerEpoch,
  decodePartitionState,
  decodeTopic,
  type ClusterKeys,
} from './metadata-codec.js';
import type { BrokerRegistration, ControllerInfo, MetadataEvent, PartitionState, TopicRecord } from './metadata-types.js';

/** The controller record plus the incarnation that holds it (to tell our own election apart). */
export type ControllerRecord = ControllerInfo & { readonly incarnationId: string };

/** Read access to the view; what MetadataCache hands out. */
export interface MetadataView {
  /** The etcd revision the view reflects. */
  readonly revision: number;
  clusterId(): string | null;
  /** Live brokers, by id. */
  brokers(): readonly BrokerRegistration[];
  broker(brokerId: number): BrokerRegistration | undefined;
  controller(): ControllerRecord | null;
  /** The last controller epoch handed out (0 before the first election). */
  controllerEpoch(): number;
  topics(): readonly TopicRecord[];
  topic(name: string): TopicRecord | undefined;
  /** One partition's state; undefined if the topic or that partition's state does not exist (yet). */
  partition(topic: string, partition: number): PartitionState | undefined;
  /** The existing partition states of a topic, by partition index. */
  partitions(topic: string): readonly PartitionState[];
  /** Every partition state of every topic. */
  allPartitions(): Iterable<PartitionState>;
}

export class MetadataImage implements MetadataView {
  revision = 0;
  private clusterIdValue: string | null = null;
  private readonly brokerMap = new Map<number, BrokerRegistration>();
  private controllerValue: ControllerRecord | null = null;
  private controllerEpochValue = 0;
  private readonly topicMap = new Map<string, TopicRecord>();
  private readonly partitionMap = new Map<string, Map<number, PartitionState>>();

  constructor(
    private readonly keys: ClusterKeys,
    private readonly logger: Logger,
  ) {}

  /** A view of `kvs` (every key under the cluster root, read at `revision`). */
  static load(keys: ClusterKeys, kvs: readonly EtcdKeyValue[], revision: number, logger: Logger): MetadataImage {
    const image = new MetadataImage(keys, logger);
    for (const kv of kvs) image.put(kv, revision);
    image.revision = revision;
    return image;
  }

  clusterId(): string | null {
    return this.clusterIdValue;
  }
  brokers(): readonly BrokerRegistration[] {
    return [...this.brokerMap.values()].sort((a, b) => a.brokerId - b.brokerId);
  }
  broker(brokerId: number): BrokerRegistration | undefined {
    return this.brokerMap.get(brokerId);
  }
  controller(): ControllerRecord | null {
    return this.controllerValue;
  }
  controllerEpoch(): number {
    return this.controllerEpochValue;
  }
  topics(): readonly TopicRecord[] {
    return [...this.topicMap.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  topic(name: string): TopicRecord | undefined {
    return this.topicMap.get(name);
  }
  partition(topic: string, partition: number): PartitionState | undefined {
    return this.partitionMap.get(topic)?.get(partition);
  }
  partitions(topic: string): readonly PartitionState[] {
    const byIndex = this.partitionMap.get(topic);
    return byIndex ? [...byIndex.values()].sort((a, b) => a.partition - b.partition) : [];
  }
  *allPartitions(): Iterable<PartitionState> {
    for (const byIndex of this.partitionMap.values()) yield* byIndex.values();
  }

  /** Applies a put at `revision`; returns the event it makes (null for keys nobody watches). */
  put(kv: EtcdKeyValue, revision: number): MetadataEvent | null {
    const parsed = this.keys.parse(kv.key);
    try {
      switch (parsed.kind) {
        case 'cluster-id':
          this.clusterIdValue = kv.value;
          return null;
        case 'controller-epoch':
          this.controllerEpochValue = decodeControllerEpoch(kv.key, kv.value);
          return null;
        case 'broker': {
          const broker = decodeBrokerRegistration(kv.key, kv.value, parsed.brokerId, kv.createRevision);
          const previous = this.brokerMap.get(parsed.brokerId) ?? null;
          this.brokerMap.set(parsed.brokerId, broker);
          return { kind: 'broker-registered', revision, broker, previous };
        }
        case 'controller': {
          const controller = decodeController(kv.key, kv.value, kv.createRevision);
          const previous = this.controllerValue;
          this.controllerValue = controller;
          return { kind: 'controller-changed', revision, controller, previous };
        }
        case 'topic': {
          const topic = decodeTopic(kv.key, kv.value, parsed.topic, kv.modRevision);
          const previous = this.topicMap.get(parsed.topic);
          this.topicMap.set(parsed.topic, topic);
          if (previous === undefined) return { kind: 'topic-created', revision, topic };
          if (previous.topicId !== topic.topicId) {
            // Deleted and re-created between two views: say both, so replicas drop the old data.
            return { kind: 'topic-created', revision, topic };
          }
          return { kind: 'topic-updated', revision, topic, previous };
        }
        case 'partition': {
          const state = decodePartitionState(kv.key, kv.value, parsed.topic, parsed.partition, kv.modRevision);
          let byIndex = this.partitionMap.get(parsed.topic);
          if (!byIndex) this.partitionMap.set(parsed.topic, (byIndex = new Map()));
          const old = byIndex.get(parsed.partition);
          const previous = old !== undefined && old.topicId === state.topicId ? old : null;
          byIndex.set(parsed.partition, state);
          return { kind: 'partition-changed', revision, topic: parsed.topic, partition: parsed.partition, state, previous };
        }
        case 'producer-ids':
        case 'unknown':
          return null;
      }
    } catch (err) {
      this.logger.error({ err, key: kv.key }, 'undecodable cluster metadata value; ignoring the key');
      return this.delete(kv.key, revision);
    }
  }

  /** Applies a delete at `revision`; returns the event it makes (null if nothing was there). */
  delete(key: string, revision: number): MetadataEvent | null {
    const parsed = this.keys.parse(key);
    switch (parsed.kind) {
      case 'cluster-id':
        this.clusterIdValue = null;
        return null;
      case 'controller-epoch':
        return null;
      case 'broker': {
        const broker = this.brokerMap.get(parsed.brokerId);
        if (!broker) return null;
        this.brokerMap.delete(parsed.brokerId);
        return { kind: 'broker-unregistered', revision, broker };
      }
      case 'controller': {
        const previous = this.controllerValue;
        if (previous === null) return null;
        this.controllerValue = null;
        return { kind: 'controller-changed', revision, controller: null, previous };
      }
      case 'topic': {
        const topic = this.topicMap.get(parsed.topic);
        if (!topic) return null;
        this.topicMap.delete(parsed.topic);
        return { kind: 'topic-deleted', revision, topic };
      }
      case 'partition': {
        const byIndex = this.partitionMap.get(parsed.topic);
        const previous = byIndex?.get(parsed.partition);
        if (!byIndex || !previous) return null;
        byIndex.delete(parsed.partition);
        if (byIndex.size === 0) this.partitionMap.delete(parsed.topic);
        return { kind: 'partition-changed', revision, topic: parsed.topic, partition: parsed.partition, state: null, previous };
      }
      case 'producer-ids':
      case 'unknown':
        return null;
    }
  }

  /**
   * The events that turn `this` into `next` (a fresh read), in an order a listener can follow:
   * removals of partitions, topics and brokers first, then registrations, the controller,
   * topics and partitions. Used after a compaction, when the individual events are gone.
   */
  diff(next: MetadataImage): MetadataEvent[] {
    const revision = next.revision;
    const events: MetadataEvent[] = [];
    for (const old of this.allPartitions()) {
      const now = next.partition(old.topic, old.partition);
      if (!now || now.topicId !== old.topicId) events.push({ kind: 'partition-changed', revision, topic: old.topic, partition: old.partition, state: null, previous: old });
    }
    for (const old of this.topicMap.values()) {
      const now = next.topic(old.name);
      if (!now || now.topicId !== old.topicId) events.push({ kind: 'topic-deleted', revision, topic: old });
    }
    for (const old of this.brokerMap.values()) {
      const now = next.broker(old.brokerId);
      if (!now) events.push({ kind: 'broker-unregistered', revision, broker: old });
    }
    for (const now of next.brokerMap.values()) {
      const old = this.brokerMap.get(now.brokerId);
      if (!old || old.brokerEpoch !== now.brokerEpoch || JSON.stringify(old) !== JSON.stringify(now)) {
        events.push({ kind: 'broker-registered', revision, broker: now, previous: old ?? null });
      }
    }
    const oldController = this.controllerValue;
    const newController = next.controllerValue;
    if (oldController?.electionRevision !== newController?.electionRevision) {
      events.push({ kind: 'controller-changed', revision, controller: newController, previous: oldController });
    }
    for (const now of next.topicMap.values()) {
      const old = this.topicMap.get(now.name);
      if (!old || old.topicId !== now.topicId) events.push({ kind: 'topic-created', revision, topic: now });
      else if (old.modRevision !== now.modRevision) events.push({ kind: 'topic-updated', revision, topic: now, previous: old });
    }
    for (const now of next.allPartitions()) {
      const old = this.partition(now.topic, now.partition);
      const previous = old && old.topicId === now.topicId ? old : null;
      if (!previous || previous.modRevision !== now.modRevision) {
        events.push({ kind: 'partition-changed', revision, topic: now.topic, partition: now.partition, state: now, previous });
      }
    }
    return events;
  }
}
