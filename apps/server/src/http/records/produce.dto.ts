/**
 * Produce request and response shapes. The classes carry the OpenAPI description (@nestjs/swagger)
 * and class-validator rules; the produce hot path validates with the compiled JSON Schema in
 * produce-request.schema.ts instead (docs/decisions.md has the measurement), which checks the
 * same rules. produce-request.schema.spec.ts keeps the two in agreement.
 */
import { ApiProperty, ApiSchema, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, Max, Min, ValidateNested, Allow } from 'class-validator';
import { ErrorBodyDto } from '../errors/error-envelope.dto.js';
import { RECORD_FORMATS, type RecordFormat } from './record-format.js';

export const ACKS = ['none', 'leader', 'all'] as const;
export type Acks = (typeof ACKS)[number];

const ANY_JSON = {
  oneOf: [
    { type: 'object', additionalProperties: true },
    { type: 'array', items: {} },
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'null' },
  ],
} as const;

/** Any JSON value (OpenAPI 3.1: oneOf every JSON type). */
const anyJson = (extra: object): ApiPropertyOptions => ({ ...ANY_JSON, ...extra }) as unknown as ApiPropertyOptions;

@ApiSchema({ name: 'ProduceRecord' })
export class ProduceRecordDto {
  @ApiPropertyOptional(anyJson({ description: 'Record key, in the request format. Keyed records go to the partition Kafka\'s default partitioner picks (murmur2 of the stored key bytes).',
    example: 'user-42',
  }))
  @IsOptional()
  @Allow()
  key?: unknown;

  @ApiProperty(anyJson({ description: 'Record value: any JSON (format=json), a string (format=string) or base64 (format=binary); null is a tombstone.',
    example: { type: 'page_view', path: '/pricing' },
  }))
  @Allow()
  value!: unknown;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: ['string', 'null'] },
    description: 'Record headers, name to value: strings (json, string formats) or base64 (binary).',
    example: { 'trace-id': '4bf92f3577b34da6' },
  })
  @IsOptional()
  @IsObject()
  headers?: Record<string, string | null>;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Explicit partition; wins over the key.', example: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  partition?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'CreateTime in ms since the epoch; the broker\'s clock when absent. Ignored by topics with message.timestamp.type=LogAppendTime.',
    example: 1767225600000,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  timestamp?: number;
}

@ApiSchema({ name: 'ProduceRequest' })
export class ProduceRequestDto {
  @ApiProperty({ type: [ProduceRecordDto], minItems: 1, description: 'Records, appended in order per partition.' })
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => ProduceRecordDto)
  records!: ProduceRecordDto[];

  @ApiPropertyOptional({
    enum: ACKS,
    default: 'leader',
    description: 'none: answer 202 before the append completes (no offsets); leader/all: answer once appended (one node: all = leader).',
  })
  @IsOptional()
  @IsIn(ACKS)
  acks?: Acks;

  @ApiPropertyOptional({ enum: RECORD_FORMATS, default: 'json', description: 'Encoding of keys, values and header values.' })
  @IsOptional()
  @IsIn(RECORD_FORMATS)
  format?: RecordFormat;
}

@ApiSchema({ name: 'ProduceResult' })
export class ProduceResultDto {
  @ApiProperty({ type: 'integer', example: 0 }) partition!: number;
  @ApiPropertyOptional({ type: 'integer', example: 42, description: 'Absent with acks=none or when error is set.' }) offset?: number;
  @ApiPropertyOptional({ type: 'integer', example: 1767225600000, description: 'CreateTime given or assigned, or the LogAppendTime.' })
  timestamp?: number;
  @ApiPropertyOptional({ type: ErrorBodyDto, description: 'Set when this record\'s partition append failed.' }) error?: ErrorBodyDto;
}

@ApiSchema({ name: 'ProduceResponse' })
export class ProduceResponseDto {
  @ApiProperty({ type: [ProduceResultDto], description: 'One result per record, in request order.' })
  results!: ProduceResultDto[];
}

@ApiSchema({ name: 'NdjsonIngestSummary' })
export class NdjsonIngestSummaryDto {
  @ApiProperty({ type: 'integer', description: 'Records appended.' }) recordCount!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: { recordCount: { type: 'integer' }, firstOffset: { type: 'integer' }, lastOffset: { type: 'integer' } },
    },
    description: 'Per partition (keyed by partition number): records appended and their offset range.',
    example: { '0': { recordCount: 2, firstOffset: 10, lastOffset: 11 } },
  })
  partitions!: Record<string, { recordCount: number; firstOffset: number; lastOffset: number }>;
}
