/** Fetch and offsets shapes (query validation is hand-rolled in records.controller.ts). */
import { ApiProperty, ApiSchema, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';

const ANY_JSON_NULLABLE = {
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
const anyJson = (extra: object): ApiPropertyOptions => ({ ...ANY_JSON_NULLABLE, ...extra }) as unknown as ApiPropertyOptions;

@ApiSchema({ name: 'FetchedRecord' })
export class FetchedRecordDto {
  @ApiProperty({ type: 'integer', example: 0 }) partition!: number;
  @ApiProperty({ type: 'integer', example: 42 }) offset!: number;
  @ApiProperty({ type: 'integer', example: 1767225600000, description: 'CreateTime, or LogAppendTime for such topics.' }) timestamp!: number;
  @ApiProperty(anyJson({ description: 'Key rendered in the requested format.', example: 'user-42' })) key!: unknown;
  @ApiProperty(anyJson({ description: 'Value rendered in the requested format; null for a tombstone.', example: { type: 'page_view' } }))
  value!: unknown;
  @ApiProperty({ type: 'object', additionalProperties: { type: ['string', 'null'] }, example: { 'trace-id': '4bf92f3577b34da6' }, description: 'Headers (a repeated name keeps its last value).' })
  headers!: Record<string, string | null>;
}

@ApiSchema({ name: 'FetchResponse' })
export class FetchResponseDto {
  @ApiProperty({ type: [FetchedRecordDto] }) records!: FetchedRecordDto[];
  @ApiProperty({ type: 'integer', example: 43, description: 'Offset to fetch next.' }) nextOffset!: number;
  @ApiProperty({ type: 'integer', example: 1200, description: 'Offset the next produced record will get.' }) highWatermark!: number;
  @ApiProperty({ type: 'integer', example: 0, description: 'First offset still in the log.' }) logStartOffset!: number;
}

@ApiSchema({ name: 'OffsetForTimestamp' })
export class OffsetForTimestampDto {
  @ApiProperty({ type: 'integer', example: 17, description: 'First offset whose timestamp is >= the requested one.' }) offset!: number;
  @ApiProperty({ type: 'integer', example: 1767225600000, description: 'That record\'s timestamp.' }) timestamp!: number;
}

@ApiSchema({ name: 'PartitionOffsets' })
export class PartitionOffsetsDto {
  @ApiProperty({ example: 'page-views' }) topic!: string;
  @ApiProperty({ type: 'integer', example: 0 }) partition!: number;
  @ApiProperty({ type: 'integer', example: 0, description: 'Earliest offset (logStartOffset).' }) earliest!: number;
  @ApiProperty({ type: 'integer', example: 1200, description: 'Latest offset: the next offset to be written (log end offset).' }) latest!: number;
  @ApiProperty({ type: 'integer', example: 1200 }) highWatermark!: number;
  @ApiPropertyOptional({
    type: OffsetForTimestampDto,
    nullable: true,
    description: 'Only when ?timestamp= was given: the first record at or after it, or null when none is.',
  })
  byTimestamp?: OffsetForTimestampDto | null;
}
