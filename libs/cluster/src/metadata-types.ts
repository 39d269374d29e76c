/**
 * The typed view of cluster metadata every broker shares: live brokers, the controller, topics
 * and per-partition state. Kafka's vocabulary (KRaft's BrokerRegistration, TopicRecord,
 * PartitionRecord). Records are immutable: a change replaces the object, so a reader may keep one.
 *
 * In etcd mode these are decoded from the keys documented in metadata-codec.ts; in local mode
 * (one node, no etcd) they are computed (this broker leads everything).
 */

/** One live broker: its `brokers/<id>` key exists, so its lease is being renewed. */
export interface BrokerRegistration {
  readonly brokerId: number;
  /** The host clients and peers reach this broker at (SPOOL_ADVERTISED_HOST). */
  readonly host: string;
  readonly kafkaPort: number;
  readonly httpPort: number;
  readonly rack: string | null;
  /** Random per process start (KRaft's incarnationId): tells a restart from a re-registration. */
  readonly incarnationId: string;
  readonly startTimeMs: number;
  /** Set while the broker shuts down cleanly: it may not lead or join an ISR (Kafka's controlled shutdown). */
  readonly controlledShutdown: boolean;
  /**
   * Kafka's broker epoch: etcd's create revision of the registration key, so it grows with every
   * new registration (a restart, or re-registering after the lease was lost) and never repeats.
   */
  readonly brokerEpoch: number;
}

/** The elected controller (the `controller` key). */
export interface ControllerInfo {
  readonly brokerId: number;
  /** Bumped by every election (the `controller_epoch` key); Kafka's controllerEpoch. */
  readonly controllerEpoch: number;
  /** etcd's create revision of the `controller` key: the fencing token of this election. */
  readonly electionRevision: number;
}

/** A topic (the `topics/<name>` key). */
export interface TopicRecord {
  readonly name: string;
  /** Kafka's 16-byte uuid as base64url text (@spool/common topic-id.ts); a re-created topic gets a new one. */
  readonly topicId: string;
  /** Partition count. */
  readonly partitions: number;
  /** Config overrides, Kafka's names -> strings (defaults are not stored). */
  readonly configs: Readonly<Record<string, string>>;
  /**
   * The replica assignment the topic was created (or grown) with, per partition. Only used to
   * create a partition state that is missing (a creator that died between two writes); once a
   * partition's state exists, its `replicas` are authoritative (reassignment changes them there).
   */
  readonly assignment: readonly (readonly number[])[];
  /** etcd's mod revision of the key: the version a compare-and-swap is conditioned on. */
  readonly modRevision: number;
}

/**
 * KIP-704's leader recovery state: RECOVERING after an unclean election, until the new leader
 * has recovered and says so (alterPartition with RECOVERED); followers must not fetch meanwhile.
 */
export type LeaderRecoveryState = 'RECOVERED' | 'RECOVERING';

/** One partition's replication state (the `partitions/<topic>/<p>` key); KRaft's PartitionRecord. */
export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  /** The broker that leads, or null while no eligible replica is live (an offline partition). */
  readonly leader: number | null;
  /** Bumped on every leader change (including to and from null); fences stale leaders. */
  readonly leaderEpoch: number;
  /** Bumped on every change of this record (KRaft's partitionEpoch): AlterPartition's version. */
  readonly partitionEpoch: number;
  /** The assignment, preferred leader first; during a reassignment, target then leaving replicas. */
  readonly replicas: readonly number[];
  /** In-sync replicas; never empty (an offline partition keeps its last in-sync members). */
  readonly isr: readonly number[];
  /** Reassignment: replicas joining (not yet in the ISR when the reassignment started). */
  readonly addingReplicas: readonly number[];
  /** Reassignment: replicas leaving once every adding replica is in the ISR. */
  readonly removingReplicas: readonly number[];
  readonly leaderRecoveryState: LeaderRecoveryState;
  /** The epoch of the controller that made the last leader change (informational; fencing uses revisions). */
  readonly controllerEpoch: number;
  /**
   * The leader's broker epoch when it was elected. A leader whose registration is newer has
   * restarted or lost its session since, and is elected again with a new leaderEpoch (Kafka's
   * "bounced broker"), even when no controller saw it go.
   */
  readonly leaderBrokerEpoch: number | null;
  /** etcd's mod revision of the key: the version a compare-and-swap is conditioned on. */
  readonly modRevision: number;
}

/** The fields of a partition state a writer sets (the rest are derived or come from etcd). */
export type PartitionStateFields = Omit<PartitionState, 'topic' | 'partition' | 'modRevision'>;

/** A partition with a reassignment in progress (ListPartitionReassignments). */
export interface OngoingReassignment {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

/**
 * What changed in the metadata, in etcd's order. Events of one etcd revision (one transaction,
 * e.g. a topic and its partitions) are applied to the view together before any is delivered, so
 * a listener reading the view sees the whole transaction. `revision` is that etcd revision.
 */
export type MetadataEvent =
  | { readonly kind: 'broker-registered'; readonly revision: number; readonly broker: BrokerRegistration; readonly previous: BrokerRegistration | null }
  | { readonly kind: 'broker-unregistered'; readonly revision: number; readonly broker: BrokerRegistration }
  | { readonly kind: 'controller-changed'; readonly revision: number; readonly controller: ControllerInfo | null; readonly previous: ControllerInfo | null }
  | { readonly kind: 'topic-created'; readonly revision: number; readonly topic: TopicRecord }
  | { readonly kind: 'topic-updated'; readonly revision: number; readonly topic: TopicRecord; readonly previous: TopicRecord }
  | { readonly kind: 'topic-deleted'; readonly revision: number; readonly topic: TopicRecord }
  | {
      readonly kind: 'partition-changed';
      readonly revision: number;
      readonly topic: string;
      readonly partition: number;
      /** null once deleted (with its topic). */
      readonly state: PartitionState | null;
      readonly previous: PartitionState | null;
    }
  /** The whole view was re-read (first load, or a watch that fell behind a compaction); the events above it were derived by comparison. */
  | { readonly kind: 'resynced'; readonly revision: number };

export type MetadataListener = (event: MetadataEvent) => void;

/** Whether `broker` is in the ISR-eligible set: registered and not shutting down. */
export function isEligibleBroker(broker: BrokerRegistration | undefined): broker is BrokerRegistration {
  return broker !== undefined && !broker.controlledShutdown;
}
