/** The API handlers the listener serves; ApiVersions advertises exactly these (plus itself). */
import type { CoordinatorConfig } from '@spool/coordinator';
import { type LogManager, type ProducerStateRegistry } from '@spool/log-engine';
import type { ClusterService } from '../cluster/cluster.service.js';
import type { LeaderLookup, LeaderPartition } from '@spool/replication';
import type { BrokerEndpoint } from './broker-endpoint.js';
import { AlterConfigsHandler, DescribeConfigsHandler, IncrementalAlterConfigsHandler } from './handlers/config.handlers.js';
import { DeleteRecordsHandler } from './handlers/delete-records.handler.js';
import { DescribeClusterHandler } from './handlers/describe-cluster.handler.js';
import { ElectLeadersHandler } from './handlers/elect-leaders.handler.js';
import { ConsumerGroupDescribeHandler, ConsumerGroupHeartbeatHandler } from './handlers/consumer-group.handlers.js';
import { FetchHandler } from './handlers/fetch.handler.js';
import { DeleteGroupsHandler, OffsetDeleteHandler } from './handlers/group-admin.handlers.js';
import {
  DescribeGroupsHandler,
  FindCoordinatorHandler,
  HeartbeatHandler,
  JoinGroupHandler,
  LeaveGroupHandler,
  ListGroupsHandler,
  OffsetCommitHandler,
  OffsetFetchHandler,
  SyncGroupHandler,
  type CoordinatorAccess,
} from './handlers/group.handlers.js';
import { InitProducerIdHandler } from './handlers/init-producer-id.handler.js';
import { AddOffsetsToTxnHandler, AddPartitionsToTxnHandler, EndTxnHandler, TxnOffsetCommitHandler, WriteTxnMarkersHandler } from './handlers/transaction.handlers.js';
import type { TxnMarkerWriter } from './txn-marker-writer.js';
import type { TransactionCoordinatorService } from '../transactions/transaction-coordinator.service.js';
import { ListOffsetsHandler } from './handlers/list-offsets.handler.js';
import { OffsetForLeaderEpochHandler } from './handlers/offset-for-leader-epoch.handler.js';
import { MetadataHandler } from './handlers/metadata.handler.js';
import { AlterPartitionReassignmentsHandler, ListPartitionReassignmentsHandler } from './handlers/partition-reassignment.handlers.js';
import { ProduceHandler } from './handlers/produce.handler.js';
import { CreatePartitionsHandler, CreateTopicsHandler, DeleteTopicsHandler } from './handlers/topic-admin.handlers.js';
import type { KafkaApiHandler } from './kafka-handler.js';
import type { KafkaListenerOptions } from './kafka-listener.options.js';
import type { ProducerIdManager } from './producer-ids/producer-id-manager.js';
import type { TopicSchemas } from '../schemas/topic-schemas.js';

export interface KafkaHandlerDeps {
  readonly logManager: LogManager;
  readonly endpoint: BrokerEndpoint;
  readonly producerStates: ProducerStateRegistry;
  readonly producerIds: ProducerIdManager;
  readonly options: KafkaListenerOptions;
  readonly coordinator: CoordinatorAccess;
  /** Cluster mode's topic admin and partition leadership; absent: a single node. */
  readonly cluster?: ClusterService;
  /** Cluster mode: the broker coordinating a group (its __consumer_offsets partition's leader). */
  readonly coordinatorOf?: (groupId: string) => number | null;
  /** Cluster mode: the partitions this broker leads (replica Fetch, OffsetForLeaderEpoch); absent or null: a single node. */
  readonly replicas?: () => LeaderLookup | null;
  /** Cluster mode: the replicated leader produce appends through (null: not replicated here). */
  readonly leaderFor?: (topic: string, partition: number) => LeaderPartition | null;
  /** Schema validation of produced records (confluent.*.schema.validation); none: not checked. */
  readonly schemas?: TopicSchemas;
  /** The transaction coordinator (InitProducerId with a transactional id, the transaction APIs). */
  readonly transactions: TransactionCoordinatorService;
  /** Appends transaction markers to partitions led here (WriteTxnMarkers). */
  readonly markerWriter: TxnMarkerWriter;
}

export function createKafkaHandlers(deps: KafkaHandlerDeps): KafkaApiHandler[] {
  const { logManager, coordinator } = deps;
  const cluster = deps.cluster ?? null;
  const leadership = cluster?.leadership;
  const onPartitionsChanged = (topic: string): void => {
    try {
      coordinator().onPartitionsChanged(topic);
    } catch {
      // Not started yet: groups subscribed to the topic see the new partitions when they next rebalance.
    }
  };
  const coordinatorConfig = (): CoordinatorConfig | null => {
    try {
      return coordinator().config;
    } catch {
      return null;
    }
  };
  const partitionExists = (topic: string, partition: number): boolean => {
    if (cluster !== null && cluster.mode === 'etcd') {
      const record = cluster.metadata.topic(topic);
      return record !== undefined && partition >= 0 && partition < record.partitions;
    }
    try {
      return partition >= 0 && partition < logManager.describeTopic(topic).partitions;
    } catch {
      return false;
    }
  };
  return [
    new ProduceHandler(logManager, deps.producerStates, leadership, deps.leaderFor, deps.schemas),
    new FetchHandler(logManager, deps.producerStates, leadership, deps.replicas),
    new ListOffsetsHandler(logManager, deps.producerStates, leadership),
    new MetadataHandler(logManager, deps.endpoint, deps.options, cluster),
    new OffsetCommitHandler(coordinator),
    new OffsetFetchHandler(coordinator),
    new FindCoordinatorHandler(deps.endpoint, cluster !== null && deps.coordinatorOf !== undefined ? { metadata: cluster.metadata, coordinatorOf: deps.coordinatorOf } : null, deps.transactions),
    new JoinGroupHandler(coordinator),
    new HeartbeatHandler(coordinator),
    new LeaveGroupHandler(coordinator),
    new SyncGroupHandler(coordinator),
    new DescribeGroupsHandler(coordinator),
    new ListGroupsHandler(coordinator),
    new CreateTopicsHandler(logManager, deps.options, deps.endpoint, cluster),
    new DeleteTopicsHandler(logManager, cluster),
    new InitProducerIdHandler(deps.producerIds, deps.transactions),
    new AddPartitionsToTxnHandler(deps.transactions, partitionExists),
    new AddOffsetsToTxnHandler(deps.transactions, (groupId) => coordinator().partitionFor(groupId)),
    new EndTxnHandler(deps.transactions),
    new WriteTxnMarkersHandler(deps.markerWriter),
    new TxnOffsetCommitHandler(coordinator),
    new DescribeConfigsHandler(logManager, deps.endpoint, deps.options, coordinatorConfig),
    new AlterConfigsHandler(logManager, deps.options.nodeId, cluster),
    new CreatePartitionsHandler(logManager, deps.endpoint, onPartitionsChanged, cluster),
    new IncrementalAlterConfigsHandler(logManager, deps.options.nodeId, cluster),
    new AlterPartitionReassignmentsHandler(() => cluster?.metadata ?? null),
    new ListPartitionReassignmentsHandler(() => cluster?.metadata ?? null),
    new DeleteRecordsHandler(logManager, leadership, deps.leaderFor),
    new DeleteGroupsHandler(coordinator),
    new OffsetForLeaderEpochHandler(logManager, deps.replicas),
    new OffsetDeleteHandler(logManager, coordinator),
    new DescribeClusterHandler(deps.endpoint),
    new ElectLeadersHandler(cluster),
    new ConsumerGroupHeartbeatHandler(coordinator),
    new ConsumerGroupDescribeHandler(coordinator),
  ];
}
