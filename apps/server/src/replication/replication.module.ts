/** Replication's broker side for the whole app (ReplicationService); global so the faces share one. */
import { Global, Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module.js';
import { ReplicationService } from './replication.service.js';

@Global()
@Module({ imports: [ClusterModule], providers: [ReplicationService], exports: [ReplicationService] })
export class ReplicationModule {}
