/** Topic admin request and response shapes (class-validator rules + OpenAPI description). */
import { ApiProperty, ApiSchema, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsObject, IsOptional, IsString, Max, Min } from 'class-validator';

const CONFIGS_EXAMPLE = { 'retention.ms': '86400000', 'cleanup.policy': 'delete' };

@ApiSchema({ name: 'CreateTopic' })
export class CreateTopicDto {
  @ApiProperty({ description: 'Topic name: [a-zA-Z0-9._-], 1..249 characters.', example: 'page-views' })
  @IsString()
  name!: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100000, description: 'Partition count; num.partitions when absent.', example: 3 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  partitions?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 32767,
    description:
      'Replication factor. Cluster mode: at most the number of live brokers (else 400 INVALID_REPLICATION_FACTOR), default SPOOL_DEFAULT_REPLICATION_FACTOR. A single node supports 1.',
    example: 3,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(32_767)
  replicationFactor?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Topic configs by their Kafka names, values as strings.',
    example: CONFIGS_EXAMPLE,
  })
  @IsOptional()
  @IsObject()
  configs?: Record<string, string>;
}

@ApiSchema({ name: 'AlterConfigs' })
export class AlterConfigsDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: ['string', 'null'] },
    description: 'Configs to set; null resets a config to its default. Others are left as they are.',
    example: { 'retention.ms': '3600000', 'segment.bytes': null },
  })
  @IsObject()
  configs!: Record<string, string | null>;
}

@ApiSchema({ name: 'CreatePartitions' })
export class CreatePartitionsDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100000, description: 'New total partition count (only increases).', example: 6 })
  @IsInt()
  @Min(1)
  @Max(100_000)
  count!: number;
}

/** Kafka's topic id (KIP-516) as Kafka's tools print it. */
const TOPIC_ID_PROPERTY = {
  description:
    "Kafka's topic id: 16 bytes written as 22 characters of unpadded base64url, as Kafka's tools print it (kafka-topics.sh --describe) and as Kafka clients see it on the wire. A topic deleted and created again under the same name has a new one.",
  example: 'b2x1Fq9aT1y2iKJm3lqYfA',
  pattern: '^[A-Za-z0-9_-]{21}[AQgw]$',
} as const;

/**
 * Traffic counters (Kafka's per-topic MessagesIn, BytesIn, BytesOut): monotonic since this broker
 * opened the log, so a reader turns two samples into a rate; they restart from 0 with the process.
 */
const TRAFFIC = {
  recordsIn: 'Records appended since this broker opened the log (monotonic; restarts at 0 with the process). Two samples give a rate.',
  bytesIn: 'Record batch bytes appended since this broker opened the log (monotonic; restarts at 0 with the process).',
  bytesOut: 'Record batch bytes read by consumers of every face since this broker opened the log (monotonic; restarts at 0 with the process).',
} as const;

@ApiSchema({ name: 'PartitionDescription' })
export class PartitionDescriptionDto {
  @ApiProperty({ type: 'integer', example: 0 }) partition!: number;
  @ApiProperty({ type: 'integer', example: 0, description: 'First offset still in the log.' }) logStartOffset!: number;
  @ApiProperty({ type: 'integer', example: 1200, description: 'Offset the next record will get (single node: the log end offset).' })
  highWatermark!: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 0, description: 'Broker id of the leader; null while the partition is offline (cluster mode: no in-sync replica alive).' })
  leader!: number | null;
  @ApiProperty({ type: 'integer', isArray: true, example: [0] }) replicas!: number[];
  @ApiProperty({ type: 'integer', isArray: true, example: [0] }) isr!: number[];
  @ApiProperty({ type: 'integer', example: 123456, description: "Bytes on this broker's disk (cluster mode: 0 where it holds no replica; offsets are the leader's)." }) size!: number;
  @ApiProperty({ example: false, description: 'The partition\'s log on this broker is offline after a storage error (full or failing disk, read-only file system): produce gets KAFKA_STORAGE_ERROR, records on disk can still be read (docs/reliability.md).' })
  offline!: boolean;
  @ApiProperty({ type: 'string', nullable: true, enum: ['write-failed', 'fsync-failed', 'segment-deleted', 'log-dir-failed'], example: null, description: 'Why it is offline; write-failed and log-dir-failed (its whole log directory failed, SPOOL_LOG_DIRS) recover on their own once the disk takes writes again, the others need a restart.' })
  offlineReason!: 'write-failed' | 'fsync-failed' | 'segment-deleted' | 'log-dir-failed' | null;
  @ApiProperty({ type: 'integer', example: 1200, description: TRAFFIC.recordsIn }) recordsInTotal!: number;
  @ApiProperty({ type: 'integer', example: 98000, description: TRAFFIC.bytesIn }) bytesInTotal!: number;
  @ApiProperty({ type: 'integer', example: 196000, description: TRAFFIC.bytesOut }) bytesOutTotal!: number;
}

@ApiSchema({ name: 'TopicDescription' })
export class TopicDescriptionDto {
  @ApiProperty({ example: 'page-views' }) name!: string;
  @ApiProperty(TOPIC_ID_PROPERTY) id!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Effective configs.', example: CONFIGS_EXAMPLE })
  configs!: Record<string, string>;
  @ApiProperty({ type: [PartitionDescriptionDto] }) partitions!: PartitionDescriptionDto[];
}

@ApiSchema({ name: 'TopicSummary' })
export class TopicSummaryDto {
  @ApiProperty({ example: 'page-views' }) name!: string;
  @ApiProperty(TOPIC_ID_PROPERTY) id!: string;
  @ApiProperty({ type: 'integer', example: 3, description: 'Partition count.' }) partitions!: number;
  @ApiProperty({ type: 'integer', example: 3600, description: "Sum over partitions of highWatermark - logStartOffset (an upper bound on the records kept: compaction leaves gaps); cluster mode: each partition's offsets as its leader has them." })
  records!: number;
  @ApiProperty({ type: 'integer', example: 370000, description: "Bytes on this broker's disk, all partitions (cluster mode: only the replicas it holds)." }) size!: number;
  @ApiProperty({ type: 'integer', example: 604800000, description: 'The effective retention.ms (-1: no time limit).' }) retentionMs!: number;
  @ApiProperty({ example: 'delete', description: 'The effective cleanup.policy (delete, compact, or compact,delete).' }) cleanupPolicy!: string;
  @ApiProperty({ type: 'integer', example: 3600, description: TRAFFIC.recordsIn }) recordsInTotal!: number;
  @ApiProperty({ type: 'integer', example: 294000, description: TRAFFIC.bytesIn }) bytesInTotal!: number;
  @ApiProperty({ type: 'integer', example: 588000, description: TRAFFIC.bytesOut }) bytesOutTotal!: number;
}

@ApiSchema({ name: 'TopicList' })
export class TopicListDto {
  @ApiProperty({ type: [TopicSummaryDto] }) topics!: TopicSummaryDto[];
  @ApiProperty({ type: 'integer', example: 1000, description: 'Topics matching `search` that the caller may describe, all pages together.' }) total!: number;
  @ApiProperty({ type: 'string', nullable: true, example: 'page-views', description: 'Pass as `after` for the next page; null on the last page.' }) nextAfter!: string | null;
}
