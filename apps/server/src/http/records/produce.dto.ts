/**
 * Produce request and response shapes. The classes carry the OpenAPI description (@nestjs/swagger)
 * and class-validator rules; the produce hot path validates with the compiled JSON Schema in
 * produce/produce-request.ts instead (docs/decisions.md has the measurement), which checks the
 * same rules (produce/produce-request.spec.ts tests them).
 */
import { ApiProperty, ApiSchema, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, Max, Min, ValidateNested, Allow } from 'class-validator';
import { ACKS, type Acks } from '../../produce/produce-request.js';
import { PRODUCE_FORMATS, type ProduceFormat } from '../../records/record-formats.js';
import { ErrorBodyDto } from '../errors/error-envelope.dto.js';

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
  @ApiPropertyOptional(anyJson({ description: 'Record key, in keyFormat: with the default (string) a string key is stored as its UTF-8 bytes, as a Kafka client sends it, and a non-string JSON key as its JSON text. Keyed records go to the partition Kafka\'s default partitioner picks (murmur2 of the stored key bytes).',
    example: 'user-42',
  }))
  @IsOptional()
  @Allow()
  key?: unknown;

  @ApiProperty(anyJson({ description: 'Record value in valueFormat: any JSON (json, the default), a string (string) or base64 (binary); null is a tombstone.',
    example: { type: 'page_view', path: '/pricing' },
  }))
  @Allow()
  value!: unknown;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: ['string', 'null'] },
    description: 'Record headers, name to value: strings, or base64 when valueFormat is binary. Values produced with valueFormat string or binary also get a content-type header (text/plain; charset=utf-8, application/octet-stream) unless one is given.',
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

@ApiSchema({ name: 'SchemaChoice' })
export class SchemaChoiceDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 255, example: 'payments-value', description: 'A schema registry subject; default <topic>-key / <topic>-value.' })
  @IsOptional()
  @IsString()
  subject?: string;

  @ApiPropertyOptional({ oneOf: [{ type: 'integer', minimum: 1, maximum: 2147483647 }, { type: 'string', enum: ['latest'] }], description: 'The subject version; default latest.' })
  @IsOptional()
  @Allow()
  version?: number | 'latest';

  @ApiPropertyOptional({ example: 'shop.Payment', description: 'PROTOBUF only: the message, by full name; default the file\'s first.' })
  @IsOptional()
  @IsString()
  messageName?: string;
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
    default: 'all',
    description:
      'none: answer 202 before the append completes (no offsets); leader: answer once the partition leader appended; all: answer once every in-sync replica has the records (on one node, the same as leader). With all, an in-sync replica set below min.insync.replicas refuses the records (NOT_ENOUGH_REPLICAS, nothing appended) or fails them after the append (NOT_ENOUGH_REPLICAS_AFTER_APPEND; REQUEST_TIMED_OUT after 30 s): retriable errors (503; 504 for the timeout).',
  })
  @IsOptional()
  @IsIn(ACKS)
  acks?: Acks;

  @ApiPropertyOptional({ enum: PRODUCE_FORMATS, default: 'string', description: 'How keys are given: string (UTF-8; a non-string JSON key is stored as its JSON text), json (JSON text), binary (base64).' })
  @IsOptional()
  @IsIn(PRODUCE_FORMATS)
  keyFormat?: ProduceFormat;

  @ApiPropertyOptional({ enum: PRODUCE_FORMATS, default: 'json', description: 'How values and header values are given: json (stored as JSON text), string (UTF-8), binary (base64).' })
  @IsOptional()
  @IsIn(PRODUCE_FORMATS)
  valueFormat?: ProduceFormat;

  @ApiPropertyOptional({ enum: PRODUCE_FORMATS, description: 'Shorthand for valueFormat (giving both with different values is an error).' })
  @IsOptional()
  @IsIn(PRODUCE_FORMATS)
  format?: ProduceFormat;

  @ApiPropertyOptional({
    type: SchemaChoiceDto,
    description: 'Encode the JSON (or string) keys with this registered schema, in Confluent\'s wire format (docs/schemas.md). Not with keyFormat=binary.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => SchemaChoiceDto)
  keySchema?: SchemaChoiceDto;

  @ApiPropertyOptional({
    type: SchemaChoiceDto,
    description: 'Encode the JSON (or string) values with this registered schema (Avro binary, Protobuf, or JSON Schema JSON, behind the 5-byte prefix), so Kafka consumers with a Confluent deserializer read them. A value that does not fit is 422 SCHEMA_VALIDATION_FAILED. Not with valueFormat=binary.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => SchemaChoiceDto)
  valueSchema?: SchemaChoiceDto;
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
