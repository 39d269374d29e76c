/** Consumer-group admin request and response shapes (class-validator rules + OpenAPI description). */
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsBoolean, IsDefined, IsInt, IsOptional, IsString, Max, Min, MinLength, ValidateNested } from 'class-validator';

@ApiSchema({ name: 'GroupListing' })
export class GroupListingDto {
  @ApiProperty({ example: 'dashboard' }) groupId!: string;
  @ApiProperty({ type: 'string', nullable: true, description: '"spool-ws" for WebSocket/SSE members, "consumer" for Kafka clients, null for a group with only committed offsets.', example: 'spool-ws' })
  protocolType!: string | null;
  @ApiProperty({
    enum: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Assigning', 'Reconciling', 'Stable', 'Dead'],
    description: 'Classic groups: Empty, PreparingRebalance, CompletingRebalance, Stable; KIP-848 consumer groups: Empty, Assigning, Reconciling, Stable.',
    example: 'Stable',
  })
  state!: string;
  @ApiProperty({ enum: ['classic', 'consumer'], description: 'Kafka\'s group type: "consumer" for KIP-848 groups (group.protocol=consumer), "classic" for the others.', example: 'classic' })
  groupType!: 'classic' | 'consumer';
}

@ApiSchema({ name: 'GroupList' })
export class GroupListDto {
  @ApiProperty({ type: [GroupListingDto] }) groups!: GroupListingDto[];
}

@ApiSchema({ name: 'GroupTopicPartition' })
export class GroupTopicPartitionDto {
  @ApiProperty({ example: 'page-views' }) topic!: string;
  @ApiProperty({ type: 'integer', example: 0 }) partition!: number;
}

@ApiSchema({ name: 'GroupMember' })
export class GroupMemberDto {
  @ApiProperty({ example: 'spool-ws-3f0c6f9e-...' }) memberId!: string;
  @ApiProperty({ example: 'spool-ws' }) clientId!: string;
  @ApiProperty({ description: 'Address of the member\'s connection.', example: '127.0.0.1' }) clientHost!: string;
  @ApiProperty({ type: 'integer' }) sessionTimeoutMs!: number;
  @ApiProperty({ type: [String], nullable: true, description: 'Subscribed topics (null when the metadata is not a consumer subscription).' })
  subscribedTopics!: string[] | null;
  @ApiProperty({ type: [GroupTopicPartitionDto], nullable: true, description: 'Assigned partitions.' })
  assignment!: GroupTopicPartitionDto[] | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'KIP-848 groups: the regular expression the member subscribes with (matched by the broker against topic names), if any.' })
  subscribedTopicRegex!: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'Static membership (group.instance.id), KIP-848 groups only.' })
  instanceId!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'KIP-848 groups: the member epoch (null for classic groups).' })
  memberEpoch!: number | null;
  @ApiProperty({
    type: 'string',
    nullable: true,
    enum: ['STABLE', 'UNREVOKED_PARTITIONS', 'UNRELEASED_PARTITIONS', 'UNKNOWN'],
    description: 'KIP-848 groups: where the member stands towards its target assignment (null for classic groups).',
  })
  memberState!: string | null;
  @ApiProperty({ type: [GroupTopicPartitionDto], nullable: true, description: 'KIP-848 groups: the partitions the member is moving towards (null for classic groups).' })
  targetAssignment!: GroupTopicPartitionDto[] | null;
}

@ApiSchema({ name: 'GroupPartitionOffset' })
export class GroupPartitionOffsetDto {
  @ApiProperty({ example: 'page-views' }) topic!: string;
  @ApiProperty({ type: 'integer', example: 0 }) partition!: number;
  @ApiProperty({ type: 'integer', description: 'Committed offset: the next record the group will read.', example: 42 }) committedOffset!: number;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: "Where the partition's reads end (its highWatermark, or its last stable offset while a transaction is open), as its leader has it; null if the topic no longer exists or its leader cannot be reached (cluster mode: offline partition).",
    example: 50,
  })
  highWatermark!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'highWatermark - committedOffset; null when the topic is gone or the committed offset is negative (-2/-1: no position yet, the consumer applies its reset policy).', example: 8 }) lag!: number | null;
  @ApiProperty({ type: 'string' }) metadata!: string;
  @ApiProperty({ type: 'integer', description: 'When the offset was committed (ms since the epoch).' }) commitTimestamp!: number;
}

@ApiSchema({ name: 'GroupDescription' })
export class GroupDescriptionDto {
  @ApiProperty({ example: 'dashboard' }) groupId!: string;
  @ApiProperty({ enum: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Assigning', 'Reconciling', 'Stable', 'Dead'] }) state!: string;
  @ApiProperty({ enum: ['classic', 'consumer'], description: 'Kafka\'s group type: "consumer" for KIP-848 groups.' }) groupType!: 'classic' | 'consumer';
  @ApiProperty({ type: 'string', nullable: true }) protocolType!: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'The selected assignor (KIP-848 groups: the server-side one, uniform or range).', example: 'range' }) assignor!: string | null;
  @ApiProperty({ type: 'integer', description: 'The generation (classic groups) or the group epoch (KIP-848 groups).' }) generationId!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'KIP-848 groups: the epoch of the target assignment (null for classic groups).' })
  assignmentEpoch!: number | null;
  @ApiProperty({ type: 'string', nullable: true }) leaderId!: string | null;
  @ApiProperty({ type: [GroupMemberDto] }) members!: GroupMemberDto[];
  @ApiProperty({ type: [GroupPartitionOffsetDto] }) offsets!: GroupPartitionOffsetDto[];
}

@ApiSchema({ name: 'GroupOffsetToCommit' })
export class GroupOffsetToCommitDto {
  @ApiProperty({ example: 'page-views' })
  @IsString()
  @MinLength(1)
  topic!: string;

  @ApiProperty({ type: 'integer', minimum: 0, example: 0 })
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  partition!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'The next offset to read, as in Kafka.', example: 42 })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  offset!: number;

  @ApiPropertyOptional({ type: 'string' })
  @IsOptional()
  @IsString()
  metadata?: string;
}

@ApiSchema({ name: 'CommitGroupOffsets' })
export class CommitGroupOffsetsDto {
  @ApiProperty({ type: [GroupOffsetToCommitDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => GroupOffsetToCommitDto)
  offsets!: GroupOffsetToCommitDto[];
}

@ApiSchema({ name: 'ResetGroupOffsets' })
export class ResetGroupOffsetsDto {
  @ApiProperty({
    description:
      'Where to move the committed offsets: "earliest", "latest", { "timestamp": ms } (the first record at or after it; ' +
      'the end when there is none), { "offset": n } or { "shiftBy": n } (the committed offset plus n, negative to go back; ' +
      'every partition needs a committed offset). Offsets are clamped to [logStartOffset, highWatermark], as kafka-consumer-groups does.',
    oneOf: [
      { type: 'string', enum: ['earliest', 'latest'] },
      { type: 'object', required: ['timestamp'], properties: { timestamp: { type: 'integer', minimum: 0 } } },
      { type: 'object', required: ['offset'], properties: { offset: { type: 'integer', minimum: 0 } } },
      { type: 'object', required: ['shiftBy'], properties: { shiftBy: { type: 'integer' } } },
    ],
    example: 'earliest',
  })
  @IsDefined()
  to!: unknown;

  @ApiPropertyOptional({ type: [String], description: 'Topics to reset; default: every topic the group has offsets for.' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  topics?: string[];

  @ApiPropertyOptional({
    type: 'boolean',
    default: false,
    description: 'Compute and return the new offsets without committing them (kafka-consumer-groups --dry-run). Refused like a real reset while the group has members.',
  })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

@ApiSchema({ name: 'GroupOffsetReset' })
export class GroupOffsetResetDto {
  @ApiProperty({ example: 'page-views' }) topic!: string;
  @ApiProperty({ type: 'integer', example: 0 }) partition!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'The committed offset before the reset; null when there was none (or it was negative).', example: 42 })
  previousOffset!: number | null;
  @ApiProperty({ type: 'integer', description: 'The committed offset after the reset (with dryRun: what it would be).', example: 0 }) committedOffset!: number;
  @ApiProperty({ type: 'integer', description: 'The partition\'s logStartOffset.' }) logStartOffset!: number;
  @ApiProperty({ type: 'integer', description: "The partition's highWatermark (its last stable offset while a transaction is open), as its leader has it." }) highWatermark!: number;
  @ApiProperty({ type: 'integer', description: 'highWatermark - committedOffset.' }) lag!: number;
}

@ApiSchema({ name: 'GroupOffsetsReset' })
export class GroupOffsetsResetDto {
  @ApiProperty({ example: 'dashboard' }) groupId!: string;
  @ApiProperty({ type: 'boolean', description: 'True when nothing was committed (dryRun).' }) dryRun!: boolean;
  @ApiProperty({ type: [GroupOffsetResetDto] }) offsets!: GroupOffsetResetDto[];
}

@ApiSchema({ name: 'GroupOffsets' })
export class GroupOffsetsDto {
  @ApiProperty({ example: 'dashboard' }) groupId!: string;
  @ApiProperty({ type: [GroupPartitionOffsetDto] }) offsets!: GroupPartitionOffsetDto[];
}
