/**
 * The face-neutral records layer for injection: PARTITION_READERS (how faces read partitions;
 * the local LogManager on one node). Every face module imports this one module, so they share
 * one set of readers (and through it one SharedReads: a WebSocket and an SSE stream at the
 * same position share a read).
 */
import { Module } from '@nestjs/common';
import { LogManager } from '@spool/log-engine';
import { ClusterModule } from '../cluster/cluster.module.js';
import { ClusterService } from '../cluster/cluster.service.js';
import { LocalPartitionReaders, PARTITION_READERS } from './partition-reader.js';

@Module({
  imports: [ClusterModule],
  providers: [
    {
      provide: PARTITION_READERS,
      useFactory: (logs: LogManager, cluster: ClusterService) => new LocalPartitionReaders(logs, cluster.leadership),
      inject: [LogManager, ClusterService],
    },
  ],
  exports: [PARTITION_READERS],
})
export class RecordsModule {}
