/**
 * The face-neutral records layer for injection: PARTITION_READERS (how faces read partitions;
 * the local LogManager on one node). Every face module imports this one module, so they share
 * one set of readers (and through it one SharedReads: a WebSocket and an SSE stream at the
 * same position share a read), and one schema decoder (json reads of schema-encoded records).
 */
import { Module } from '@nestjs/common';
import { LogManager, ProducerStateRegistry } from '@spool/log-engine';
import { ClusterModule } from '../cluster/cluster.module.js';
import { ClusterPartitionReaders } from '../cluster/cluster-partition-readers.js';
import { ClusterService } from '../cluster/cluster.service.js';
import { SchemaRegistryModule } from '../schemas/schema-registry.module.js';
import { TopicSchemas } from '../schemas/topic-schemas.js';
import { LocalPartitionReaders, PARTITION_READERS } from './partition-reader.js';

@Module({
  imports: [ClusterModule, SchemaRegistryModule],
  providers: [
    {
      // The schema registry decodes schema-encoded records for json reads, the same on every face.
      provide: PARTITION_READERS,
      // Cluster mode: any partition on any node (the leader's, over Kafka's protocol, when elsewhere).
      useFactory: (logs: LogManager, producerStates: ProducerStateRegistry, cluster: ClusterService, schemas: TopicSchemas) =>
        cluster.mode === 'etcd' ? new ClusterPartitionReaders(logs, cluster.metadata, cluster.router, producerStates, schemas, cluster.waits) : new LocalPartitionReaders(logs, producerStates, schemas),
      inject: [LogManager, ProducerStateRegistry, ClusterService, TopicSchemas],
    },
  ],
  exports: [PARTITION_READERS],
})
export class RecordsModule {}
