/** Push subscription request and response shapes (class-validator rules + OpenAPI description). */
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { GroupPartitionOffsetDto } from '../groups/groups.dto.js';
import { READ_FORMATS } from '../records/record-formats.js';

const DAY_MS = 24 * 3_600_000;

@ApiSchema({ name: 'SubscriptionFilter' })
export class SubscriptionFilterDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Deliver only records carrying every one of these headers with exactly this value.', example: { type: 'order.created' } })
  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Deliver only records whose key (as rendered: the text of a string key) starts with this.', example: 'eu-' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  keyPrefix?: string;
}

@ApiSchema({ name: 'SubscriptionBatch' })
export class SubscriptionBatchDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, default: 1, description: 'Most records per request (of one partition).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxRecords?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 60000, default: 200, description: 'How long a request waits to fill up with records before it goes out with fewer.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  maxWaitMs?: number;
}

@ApiSchema({ name: 'SubscriptionRetry' })
export class SubscriptionRetryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'A message still failing this long after its first attempt is dead-lettered. Default 24 h.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * DAY_MS)
  limitMs?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Delay before the second attempt (doubles each time, with jitter). Default 1 s.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(DAY_MS)
  initialDelayMs?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Longest delay between attempts. Default 1 h.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(DAY_MS)
  maxDelayMs?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'The subscription is disabled once its endpoint has failed every attempt for this long. Default 5 days.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365 * DAY_MS)
  disableAfterMs?: number;
}

class SubscriptionSettingsDto {
  @ApiPropertyOptional({ type: [String], description: 'Topics to deliver (give topics or topicPattern).', example: ['orders'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  topics?: string[];

  @ApiPropertyOptional({ description: 'A regular expression matching whole topic names; topics created later that match are delivered too.', example: 'orders\\..*' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  topicPattern?: string;

  @ApiPropertyOptional({ description: 'The endpoint: https (http too outside production mode). It must not resolve to loopback, private, link-local, CGNAT or metadata addresses unless the broker allows their range.', example: 'https://hooks.example.com/spool' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ type: SubscriptionFilterDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SubscriptionFilterDto)
  filter?: SubscriptionFilterDto;

  @ApiPropertyOptional({ type: SubscriptionBatchDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SubscriptionBatchDto)
  batch?: SubscriptionBatchDto;

  @ApiPropertyOptional({ enum: ['key', 'none'], default: 'key', description: 'key: records of a partition (so of a key) in order, one request of a partition in flight; none: in parallel up to concurrency.' })
  @IsOptional()
  @IsIn(['key', 'none'])
  ordering?: 'key' | 'none';

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 256, default: 16, description: 'Requests in flight at once to the endpoint (per broker).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(256)
  concurrency?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 100, maximum: 60000, default: 15000, description: 'Per-request timeout.' })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(60_000)
  timeoutMs?: number;

  @ApiPropertyOptional({ type: SubscriptionRetryDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SubscriptionRetryDto)
  retry?: SubscriptionRetryDto;

  @ApiPropertyOptional({ enum: READ_FORMATS, default: 'auto', description: 'How keys are rendered (as in fetch).' })
  @IsOptional()
  @IsIn(READ_FORMATS)
  keyFormat?: (typeof READ_FORMATS)[number];

  @ApiPropertyOptional({ enum: READ_FORMATS, default: 'auto', description: 'How values are rendered (as in fetch).' })
  @IsOptional()
  @IsIn(READ_FORMATS)
  valueFormat?: (typeof READ_FORMATS)[number];
}

@ApiSchema({ name: 'CreateSubscription' })
export class CreateSubscriptionDto extends SubscriptionSettingsDto {
  @ApiProperty({ description: 'Name: 1..200 of letters, digits, _ and -. The consumer group is push.<name>, the dead-letter topic <name>.dlq.', example: 'orders-to-billing' })
  @IsString()
  name!: string;

  @ApiPropertyOptional({
    description: 'Where partitions without a committed offset start: "earliest", "latest" (default) or { "timestamp": ms }.',
    oneOf: [{ type: 'string', enum: ['earliest', 'latest'] }, { type: 'object', required: ['timestamp'], properties: { timestamp: { type: 'integer', minimum: 0 } } }],
  })
  @IsOptional()
  start?: unknown;
}

@ApiSchema({ name: 'UpdateSubscription' })
export class UpdateSubscriptionDto extends SubscriptionSettingsDto {}

@ApiSchema({ name: 'SubscriptionAttempt' })
export class SubscriptionAttemptDto {
  @ApiProperty({ type: 'integer', description: 'When the attempt ended (ms since the epoch).' }) at!: number;
  @ApiProperty({ example: 'orders-to-billing.orders-0-42' }) webhookId!: string;
  @ApiProperty() topic!: string;
  @ApiProperty({ type: 'integer' }) partition!: number;
  @ApiProperty({ type: 'integer' }) firstOffset!: number;
  @ApiProperty({ type: 'integer' }) lastOffset!: number;
  @ApiProperty({ type: 'integer', description: '1 for the first attempt.' }) attempt!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'HTTP status; null when no answer came (timeout, connection error, refused address).' }) status!: number | null;
  @ApiProperty({ enum: ['delivered', 'retry', 'failed', 'dead-lettered'] }) outcome!: string;
  @ApiProperty({ type: 'integer' }) durationMs!: number;
  @ApiPropertyOptional() error?: string;
  @ApiPropertyOptional({ description: 'The start of the response body (failed attempts).' }) responseSnippet?: string;
  @ApiPropertyOptional({ type: 'integer' }) nextAttemptAt?: number;
}

@ApiSchema({ name: 'SubscriptionStats' })
export class SubscriptionStatsDto {
  @ApiProperty({ type: 'integer' }) deliveredMessages!: number;
  @ApiProperty({ type: 'integer' }) deliveredRecords!: number;
  @ApiProperty({ type: 'integer', description: 'Attempts that did not deliver.' }) failedAttempts!: number;
  @ApiProperty({ type: 'integer' }) deadLetteredMessages!: number;
  @ApiProperty({ type: 'integer' }) deadLetteredRecords!: number;
  @ApiProperty({ type: 'integer', description: 'Messages waiting for their next attempt now.' }) retrying!: number;
  @ApiProperty({ type: 'integer', nullable: true }) lastDeliveredAt!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Start of the current run of failures (no delivery since).' }) failingSince!: number | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer', nullable: true }, description: 'Append-to-delivery latency (record timestamp to 2xx), histogram upper bounds in ms: p50, p90, p99.' })
  latencyMs!: Record<string, number | null>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer', nullable: true }, description: 'Request duration, histogram upper bounds in ms: p50, p90, p99.' })
  attemptDurationMs!: Record<string, number | null>;
  @ApiProperty({ type: [SubscriptionAttemptDto], description: 'The last errors, newest first.' }) lastErrors!: SubscriptionAttemptDto[];
}

@ApiSchema({ name: 'Subscription' })
export class SubscriptionDto {
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String], nullable: true }) topics!: string[] | null;
  @ApiProperty({ type: 'string', nullable: true }) topicPattern!: string | null;
  @ApiProperty() url!: string;
  @ApiPropertyOptional({ description: 'The signing secret (whsec_...): only in the answer to the create request. Keep it; it is not shown again.' }) secret?: string;
  @ApiProperty({ type: SubscriptionFilterDto, nullable: true }) filter!: SubscriptionFilterDto | null;
  @ApiProperty({ type: SubscriptionBatchDto }) batch!: SubscriptionBatchDto;
  @ApiProperty({ enum: ['key', 'none'] }) ordering!: string;
  @ApiProperty({ type: 'integer' }) concurrency!: number;
  @ApiProperty({ type: 'integer' }) timeoutMs!: number;
  @ApiProperty({ type: SubscriptionRetryDto }) retry!: SubscriptionRetryDto;
  @ApiProperty({ description: '"earliest", "latest" or { "timestamp": ms }', oneOf: [{ type: 'string' }, { type: 'object' }] }) start!: unknown;
  @ApiProperty({ enum: READ_FORMATS }) keyFormat!: string;
  @ApiProperty({ enum: READ_FORMATS }) valueFormat!: string;
  @ApiProperty({ enum: ['active', 'paused', 'disabled'] }) state!: string;
  @ApiProperty({ type: 'string', nullable: true, description: 'Why it is disabled.' }) reason!: string | null;
  @ApiProperty({ example: 'push.orders-to-billing', description: 'Its consumer group (GET /v1/groups/{group}; reset its offsets while paused).' }) group!: string;
  @ApiProperty({ example: 'orders-to-billing.dlq' }) deadLetterTopic!: string;
  @ApiProperty({ type: 'integer' }) createdAt!: number;
  @ApiProperty({ type: 'integer' }) updatedAt!: number;
  @ApiProperty({ type: [GroupPartitionOffsetDto], description: 'Committed offsets and lag per partition.' }) offsets!: GroupPartitionOffsetDto[];
  @ApiProperty({ type: SubscriptionStatsDto, description: 'Delivery statistics of this broker since it started.' }) stats!: SubscriptionStatsDto;
}

@ApiSchema({ name: 'SubscriptionList' })
export class SubscriptionListDto {
  @ApiProperty({ type: [SubscriptionDto] }) subscriptions!: SubscriptionDto[];
}

@ApiSchema({ name: 'SubscriptionAttempts' })
export class SubscriptionAttemptsDto {
  @ApiProperty() name!: string;
  @ApiProperty({ type: [SubscriptionAttemptDto], description: 'The last attempts (newest first), at most 100 per subscription on this broker.' }) attempts!: SubscriptionAttemptDto[];
}
