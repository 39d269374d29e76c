/**
 * GET /v1/cluster: the cluster as this node sees it (its metadata cache of etcd in cluster mode):
 * name, Kafka's cluster id, the controller and the brokers with their endpoints and liveness. A
 * broker is alive while its registration's lease is; brokers named as replicas of some partition but
 * not registered are listed as not alive, so an operator sees what is missing. Each broker's
 * partitions led and replicas come from the same metadata; disk use only for the broker that
 * answers (it knows only its own logs): in cluster mode this broker asks every other live broker
 * for its own figure (peer-log-sizes.ts) and marks one that did not answer in time.
 */
import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LogManager } from '@spool/log-engine';
import type { FastifyRequest } from 'fastify';
import { ClusterService } from '../../cluster/cluster.service.js';
import { ClusterDescriptionDto, type ClusterBrokerDto } from './cluster.dto.js';
import { PeerLogSizes } from './peer-log-sizes.js';

@ApiTags('cluster')
@Controller('v1/cluster')
export class ClusterController {
  constructor(
    private readonly cluster: ClusterService,
    @Inject(LogManager) private readonly logManager: LogManager,
    private readonly peerLogSizes: PeerLogSizes,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'describeCluster', summary: 'Describe the cluster: name, cluster id, controller, brokers with endpoints and liveness' })
  @ApiOkResponse({ type: ClusterDescriptionDto })
  async describe(@Req() request: FastifyRequest): Promise<ClusterDescriptionDto> {
    const metadata = this.cluster.metadata;
    const others = this.cluster.mode === 'etcd' && !PeerLogSizes.isForwarded(request.headers) ? metadata.brokers().filter((b) => b.brokerId !== metadata.brokerId) : [];
    const authorization = typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined;
    const peerSizes = others.length > 0 ? await this.peerLogSizes.ask(others, authorization) : new Map();
    const led = new Map<number, number>();
    const assigned = new Map<number, number>();
    const bump = (m: Map<number, number>, id: number): void => void m.set(id, (m.get(id) ?? 0) + 1);
    let partitions = 0;
    let offlinePartitions = 0;
    for (const topic of metadata.topics()) {
      for (const state of metadata.partitions(topic.name)) {
        partitions++;
        if (state.leader === null) offlinePartitions++;
        else bump(led, state.leader);
        for (const id of state.replicas) bump(assigned, id);
      }
    }
    const counts = (brokerId: number) => ({
      partitionsLed: led.get(brokerId) ?? 0,
      replicas: assigned.get(brokerId) ?? 0,
      ...(brokerId === metadata.brokerId && { logSizeBytes: this.logManager.logBytes() }),
    });
    const peerSize = (brokerId: number) => {
      const size = peerSizes.get(brokerId);
      return size === undefined ? {} : 'error' in size ? { logSizeError: { ...size.error } } : { logSizeBytes: size.logSizeBytes };
    };
    const live: ClusterBrokerDto[] = metadata.brokers().map((b) => ({
      brokerId: b.brokerId,
      alive: true,
      host: b.host,
      httpPort: b.httpPort,
      kafkaPort: b.kafkaPort,
      rack: b.rack,
      controlledShutdown: b.controlledShutdown,
      brokerEpoch: b.brokerEpoch,
      ...counts(b.brokerId),
      ...peerSize(b.brokerId),
    }));
    const known = new Set(live.map((b) => b.brokerId));
    const gone = [...assigned.keys()].filter((id) => !known.has(id));
    const controller = metadata.controller();
    return {
      mode: this.cluster.mode === 'etcd' ? 'etcd' : 'single-node',
      clusterName: this.cluster.settings.clusterName,
      clusterId: metadata.clusterId(),
      brokerId: metadata.brokerId,
      controller: controller === null ? null : { brokerId: controller.brokerId, controllerEpoch: controller.controllerEpoch },
      brokers: [...live, ...gone.map((brokerId) => ({ brokerId, alive: false, ...counts(brokerId) }))].sort((a, b) => a.brokerId - b.brokerId),
      partitions,
      offlinePartitions,
    };
  }
}
