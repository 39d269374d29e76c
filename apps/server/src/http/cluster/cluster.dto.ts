/** GET /v1/cluster: what Kafka's DescribeCluster tells, for HTTP clients and operators. */
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'ClusterBrokerError' })
export class ClusterBrokerErrorDto {
  @ApiProperty({ example: 'REQUEST_TIMED_OUT', description: 'REQUEST_TIMED_OUT, NETWORK_EXCEPTION, or the code of the broker\'s error answer.' }) code!: string;
  @ApiProperty({ example: 'broker 2 did not answer within 3000 ms' }) message!: string;
}

@ApiSchema({ name: 'ClusterBroker' })
export class ClusterBrokerDto {
  @ApiProperty({ type: 'integer', example: 1, description: 'broker.id (SPOOL_BROKER_ID)' }) brokerId!: number;
  @ApiProperty({ description: 'Registered now (its etcd lease is alive); false for a broker that partitions name as a replica but that is gone.' })
  alive!: boolean;
  @ApiPropertyOptional({ example: 'spool-1.internal', description: 'Advertised host (alive brokers only).' }) host?: string;
  @ApiPropertyOptional({ type: 'integer', example: 8080, description: 'HTTP port (alive brokers only).' }) httpPort?: number;
  @ApiPropertyOptional({ type: 'integer', example: 9092, description: 'Kafka port (alive brokers only).' }) kafkaPort?: number;
  @ApiPropertyOptional({ type: 'string', nullable: true, example: null }) rack?: string | null;
  @ApiPropertyOptional({ description: 'Shutting down cleanly: it leads nothing new (Kafka controlled shutdown).' }) controlledShutdown?: boolean;
  @ApiPropertyOptional({ type: 'integer', example: 42, description: "Kafka's broker epoch: new at every registration." }) brokerEpoch?: number;
  @ApiProperty({ type: 'integer', example: 12, description: 'Partitions this broker leads now (from the cluster metadata).' }) partitionsLed!: number;
  @ApiProperty({ type: 'integer', example: 24, description: 'Partition replicas assigned to this broker (leader or follower).' }) replicas!: number;
  @ApiPropertyOptional({
    type: 'integer',
    example: 1048576,
    description:
      "Bytes of partition logs on this broker's disk. In cluster mode the answering broker asks every other live broker for its own figure (a few seconds at most); a live broker without it has logSizeError instead.",
  })
  logSizeBytes?: number;
  @ApiPropertyOptional({
    type: () => ClusterBrokerErrorDto,
    description: 'Why a live broker has no logSizeBytes: it did not answer the answering broker in time (REQUEST_TIMED_OUT), could not be reached (NETWORK_EXCEPTION), or answered with an error (its code).',
  })
  logSizeError?: ClusterBrokerErrorDto;
}

@ApiSchema({ name: 'ClusterController' })
export class ClusterControllerDto {
  @ApiProperty({ type: 'integer', example: 1 }) brokerId!: number;
  @ApiProperty({ type: 'integer', example: 3, description: 'Bumped by every controller election.' }) controllerEpoch!: number;
}

@ApiSchema({ name: 'ClusterDescription' })
export class ClusterDescriptionDto {
  @ApiProperty({ enum: ['single-node', 'etcd'], description: 'single-node: no SPOOL_ETCD_ENDPOINTS; etcd: cluster mode.' }) mode!: 'single-node' | 'etcd';
  @ApiProperty({ example: 'spool', description: 'SPOOL_CLUSTER_NAME (the etcd key prefix).' }) clusterName!: string;
  @ApiProperty({ example: 'Qk9vV1pXc2NrM3FwVVNsZQ', description: "Kafka's cluster id (Metadata, DescribeCluster)." }) clusterId!: string;
  @ApiProperty({ type: 'integer', example: 1, description: 'The broker that answered.' }) brokerId!: number;
  @ApiProperty({ type: ClusterControllerDto, nullable: true, description: 'null while an election is under way.' }) controller!: ClusterControllerDto | null;
  @ApiProperty({ type: [ClusterBrokerDto], description: 'Live brokers and brokers named as replicas that are gone, by id.' }) brokers!: ClusterBrokerDto[];
  @ApiProperty({ type: 'integer', example: 120, description: 'Partitions of all topics.' }) partitions!: number;
  @ApiProperty({ type: 'integer', example: 0, description: 'Partitions without a leader now (no in-sync replica alive), as Kafka\'s OfflinePartitionsCount.' }) offlinePartitions!: number;
}
