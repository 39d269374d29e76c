/**
 * GET /v1/cluster: the cluster as this node sees it (its metadata cache of etcd in cluster mode):
 * name, Kafka's cluster id, the controller and the brokers with their endpoints and liveness. A
 * broker is alive while its registration's lease is; brokers named as replicas of some partition but
 * not registered are listed as not alive, so an operator sees what is missing.
 */
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClusterService } from '../../cluster/cluster.service.js';
import { ClusterDescriptionDto, type ClusterBrokerDto } from './cluster.dto.js';

@ApiTags('cluster')
@Controller('v1/cluster')
export class ClusterController {
  constructor(private readonly cluster: ClusterService) {}

  @Get()
  @ApiOperation({ operationId: 'describeCluster', summary: 'Describe the cluster: name, cluster id, controller, brokers with endpoints and liveness' })
  @ApiOkResponse({ type: ClusterDescriptionDto })
  describe(): ClusterDescriptionDto {
    const metadata = this.cluster.metadata;
    const live: ClusterBrokerDto[] = metadata.brokers().map((b) => ({
      brokerId: b.brokerId,
      alive: true,
      host: b.host,
      httpPort: b.httpPort,
      kafkaPort: b.kafkaPort,
      rack: b.rack,
      controlledShutdown: b.controlledShutdown,
      brokerEpoch: b.brokerEpoch,
    }));
    const known = new Set(live.map((b) => b.brokerId));
    const gone = new Set<number>();
    for (const topic of metadata.topics()) {
      for (const state of metadata.partitions(topic.name)) for (const id of state.replicas) if (!known.has(id)) gone.add(id);
    }
    const controller = metadata.controller();
    return {
      mode: this.cluster.mode === 'etcd' ? 'etcd' : 'single-node',
      clusterName: this.cluster.settings.clusterName,
      clusterId: metadata.clusterId(),
      brokerId: metadata.brokerId,
      controller: controller === null ? null : { brokerId: controller.brokerId, controllerEpoch: controller.controllerEpoch },
      brokers: [...live, ...[...gone].map((brokerId) => ({ brokerId, alive: false }))].sort((a, b) => a.brokerId - b.brokerId),
    };
  }
}
