/**
 * The broker's transaction coordinator (libs/coordinator transaction-coordinator.ts), wired to the
 * log engine (`__transaction_state`, TransactionStateLog), producer ids (ProducerIdManager) and
 * the partitions' leaders (RoutedTxnMarkerChannel).
 *
 * Started on first need, as Kafka creates `__transaction_state` on the first FindCoordinator for a
 * transactional id, and at every start-up once the topic exists (`resume`): until it is loaded, requests answer COORDINATOR_LOAD_IN_PROGRESS or
 * COORDINATOR_NOT_AVAILABLE (both retriable; clients ask again).
 *   single node  the topic is created here (transaction.state.log.num.partitions, 50) and every
 *                partition is loaded (coordinator epoch 0);
 *   cluster      the topic is created in etcd (replication capped by the live brokers) and each
 *                broker loads the partitions it leads, at the partition's leader epoch (the
 *                markers' coordinator epoch), and unloads those it stops leading, as the group
 *                coordinator does with `__consumer_offsets`. coordinatorOf(id) is the leader of the
 *                id's partition: what FindCoordinator (key type 1) answers.
 *
 * Settings (Kafka's broker configs, SPOOL_ prefix): SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS (50),
 * SPOOL_TRANSACTION_STATE_LOG_REPLICATION_FACTOR (3), SPOOL_TRANSACTION_STATE_LOG_MIN_ISR (2, the
 * topic's min.insync.replicas, read when it is created), SPOOL_TRANSACTION_MAX_TIMEOUT_MS (900000),
 * SPOOL_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS (10000).
 */
import { isSpoolError, silentLogger, SpoolError, type Logger } from '@spool/common';
import type { MetadataEvent } from '@spool/cluster';
import { TransactionCoordinator, type TransactionCoordinatorConfig, type TxnErrorCode } from '@spool/coordinator';
import type { LogManager } from '@spool/log-engine';
import type { ClusterService } from '../cluster/cluster.service.js';
import type { TxnMarkerWriter } from '../kafka/txn-marker-writer.js';
import type { ProducerIdManager } from '../kafka/producer-ids/producer-id-manager.js';
import type { ReplicatedLeaderOf } from '../groups/consumer-offsets.log.js';
import { TRANSACTION_STATE_TOPIC, TransactionStateLog, transactionStateTopicConfigs } from './transaction-state.log.js';
import { RoutedTxnMarkerChannel } from './txn-marker-channel.js';

export interface TransactionSettings extends TransactionCoordinatorConfig {
  readonly replicationFactor: number;
  /** transaction.state.log.min.isr: the topic's min.insync.replicas (capped by its replication factor). */
  readonly minIsr: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function transactionSettingsFromEnv(env: Env = process.env): TransactionSettings {
  const int = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new SpoolError('INVALID_CONFIG', `${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`, { name, value: raw });
    return Number(raw);
  };
  return {
    partitionCount: int('SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS', 50, 1),
    replicationFactor: int('SPOOL_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 3, 1),
    minIsr: int('SPOOL_TRANSACTION_STATE_LOG_MIN_ISR', 2, 1),
    maxTimeoutMs: int('SPOOL_TRANSACTION_MAX_TIMEOUT_MS', 900_000, 1),
    abortTimedOutIntervalMs: int('SPOOL_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS', 10_000, 1),
    markerRetryBackoffMs: 100,
  };
}

export const TRANSACTION_ENV_VARS: readonly string[] = [
  'SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS',
  'SPOOL_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
  'SPOOL_TRANSACTION_STATE_LOG_MIN_ISR',
  'SPOOL_TRANSACTION_MAX_TIMEOUT_MS',
  'SPOOL_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS',
];

export class TransactionCoordinatorService {
  private instance: TransactionCoordinator | undefined;
  private starting: Promise<TransactionCoordinator> | undefined;
  private creatingTopic = false;
  private readonly led = new Set<number>();
  private unsubscribe: (() => void) | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly logs: LogManager,
    private readonly cluster: ClusterService,
    private readonly producerIds: ProducerIdManager,
    private readonly writer: TxnMarkerWriter,
    private readonly settings: TransactionSettings = transactionSettingsFromEnv(),
    logger: Logger = silentLogger,
    /** Cluster mode: a partition's replicated leader, so `__transaction_state` is appended with acks=all. */
    private readonly leaderOf: ReplicatedLeaderOf = () => null,
  ) {
    this.logger = logger.child({ component: 'transaction-coordinator' });
  }

  /**
   * The coordinator, once loaded; else the retriable code to answer (and the start is under way).
   */
  coordinator(): TransactionCoordinator | Extract<TxnErrorCode, 'COORDINATOR_LOAD_IN_PROGRESS' | 'COORDINATOR_NOT_AVAILABLE'> {
    if (this.instance !== undefined) return this.instance;
    this.start();
    return 'COORDINATOR_LOAD_IN_PROGRESS';
  }

  /** The broker coordinating `transactionalId` now (null: none yet; the caller answers COORDINATOR_NOT_AVAILABLE). */
  coordinatorOf(transactionalId: string): number | null {
    const instance = this.coordinator();
    if (this.cluster.mode === 'local') return typeof instance === 'string' ? null : this.cluster.brokerId;
    if (typeof instance === 'string') return null;
    if (this.cluster.metadata.topic(TRANSACTION_STATE_TOPIC) === undefined) {
      this.createClusterTopic();
      return null;
    }
    return this.cluster.metadata.partition(TRANSACTION_STATE_TOPIC, instance.partitionFor(transactionalId))?.leader ?? null;
  }

  /**
   * At start-up: when `__transaction_state` exists, loads the coordinator in the background at
   * once rather than at the first transactional request, so that transactions a crash left
   * prepared are finished and abandoned ones aborted on their timeout even if no client comes
   * back (their open transactions would hold the partitions' LSO until then).
   */
  resume(): void {
    const exists = this.cluster.mode === 'etcd' ? this.cluster.metadata.topic(TRANSACTION_STATE_TOPIC) !== undefined : this.logs.listTopics().some((t) => t.name === TRANSACTION_STATE_TOPIC);
    if (exists) this.start();
  }

  close(): void {
    this.unsubscribe?.();
    this.instance?.close();
  }

  /** Nest: stops the timeout check at shutdown (before the logs close). */
  onModuleDestroy(): void {
    this.close();
  }

  private start(): void {
    if (this.starting !== undefined) return;
    this.starting = this.open();
    this.starting.then(
      (c) => (this.instance = c),
      (err: unknown) => {
        this.logger.error({ err }, 'starting the transaction coordinator failed; the next transactional request tries again');
        this.starting = undefined;
      },
    );
  }

  private async open(): Promise<TransactionCoordinator> {
    const clustered = this.cluster.mode === 'etcd';
    const partitionCount = clustered ? (this.cluster.metadata.topic(TRANSACTION_STATE_TOPIC)?.partitions ?? this.settings.partitionCount) : await this.ensureLocalTopic();
    const coordinator = new TransactionCoordinator({
      producerIds: this.producerIds,
      markers: new RoutedTxnMarkerChannel(this.writer, this.cluster.router),
      config: { ...this.settings, partitionCount },
      logger: this.logger,
    });
    if (clustered) {
      this.followLeadership(coordinator);
      return coordinator;
    }
    try {
      await Promise.all(Array.from({ length: partitionCount }, (_, p) => coordinator.loadPartition(p, new TransactionStateLog(this.logs, TRANSACTION_STATE_TOPIC, p, this.leaderOf), 0)));
    } catch (err) {
      coordinator.close();
      throw err;
    }
    return coordinator;
  }

  private async ensureLocalTopic(): Promise<number> {
    try {
      return this.logs.describeTopic(TRANSACTION_STATE_TOPIC).partitions;
    } catch (err) {
      if (!isSpoolError(err) || err.code !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      try {
        return (await this.logs.createTopic(TRANSACTION_STATE_TOPIC, this.settings.partitionCount, transactionStateTopicConfigs(this.settings.minIsr))).partitions;
      } catch (raced) {
        if (isSpoolError(raced) && raced.code === 'TOPIC_ALREADY_EXISTS') return this.logs.describeTopic(TRANSACTION_STATE_TOPIC).partitions;
        throw raced;
      }
    }
  }

  /** Cluster mode: loads the partitions led here and follows every leadership change of the topic. */
  private followLeadership(coordinator: TransactionCoordinator): void {
    const cluster = this.cluster;
    const reconcile = (partition: number): void => {
      const state = cluster.metadata.partition(TRANSACTION_STATE_TOPIC, partition);
      const leads = state?.leader === cluster.brokerId && cluster.leadership.refusal(TRANSACTION_STATE_TOPIC, partition) === null;
      if (leads && !this.led.has(partition)) {
        this.led.add(partition);
        coordinator.loadPartition(partition, new TransactionStateLog(this.logs, TRANSACTION_STATE_TOPIC, partition, this.leaderOf), state?.leaderEpoch ?? 0).catch((err: unknown) => {
          this.logger.error({ err, partition }, 'loading a __transaction_state partition failed');
          if (this.led.delete(partition)) coordinator.unloadPartition(partition);
        });
      } else if (!leads && this.led.has(partition)) {
        this.led.delete(partition);
        coordinator.unloadPartition(partition);
      }
    };
    const all = (): void => {
      for (let p = 0; p < (cluster.metadata.topic(TRANSACTION_STATE_TOPIC)?.partitions ?? 0); p++) reconcile(p);
    };
    const offMetadata = cluster.metadata.subscribe((event: MetadataEvent) => {
      if (event.kind === 'partition-changed' && event.topic === TRANSACTION_STATE_TOPIC) reconcile(event.partition);
      else if (event.kind === 'resynced' || event.kind === 'broker-registered' || event.kind === 'broker-unregistered') all();
    });
    // A partition is loaded once this broker's copy of the topic is open (TopicSync, after the metadata event).
    const offLogs = this.logs.topicChanges.subscribe((change) => {
      if (change.topic === TRANSACTION_STATE_TOPIC) all();
    });
    this.unsubscribe = () => {
      offMetadata();
      offLogs();
    };
    all();
  }

  private createClusterTopic(): void {
    if (this.creatingTopic || this.cluster.metadata.topic(TRANSACTION_STATE_TOPIC) !== undefined) return;
    this.creatingTopic = true;
    this.cluster
      .createTopic({
        name: TRANSACTION_STATE_TOPIC,
        partitions: this.settings.partitionCount,
        replicationFactor: Math.max(1, Math.min(this.settings.replicationFactor, this.cluster.metadata.brokers().length)),
        configs: transactionStateTopicConfigs(this.settings.minIsr),
      })
      .catch((err: unknown) => {
        if (!isSpoolError(err) || err.code !== 'TOPIC_ALREADY_EXISTS') this.logger.warn({ err }, `creating ${TRANSACTION_STATE_TOPIC} failed; the next FindCoordinator tries again`);
      })
      .finally(() => (this.creatingTopic = false));
  }
}
