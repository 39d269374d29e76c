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

@ApiSchema({ name: 'RecordError' })
export class RecordErrorDto {
  @ApiProperty({ enum: ['RECORD_FORMAT_MISMATCH'] }) code!: 'RECORD_FORMAT_MISMATCH';
  @ApiProperty({ example: 'the value is not JSON (valueFormat=json): rendered as base64 (see keyEncoding, valueEncoding, headerEncodings)' }) message!: string;
}

@ApiSchema({ name: 'FetchedRecord' })
export class FetchedRecordDto {
  @ApiProperty({ type: 'integer', example: 0 }) partition!: number;
  @ApiProperty({ type: 'integer', example: 42 }) offset!: number;
  @ApiProperty({ type: 'integer', example: 1767225600000, description: 'CreateTime, or LogAppendTime for such topics.' }) timestamp!: number;
  @ApiProperty(anyJson({ description: 'Key rendered in keyFormat (auto: JSON as JSON, other UTF-8 as a string, else base64 with keyEncoding); null for a null key.', example: 'user-42' })) key!: unknown;
  @ApiProperty(anyJson({ description: 'Value rendered in valueFormat (auto: as the key, honouring a content-type header); null for a tombstone.', example: { type: 'page_view' } }))
  value!: unknown;
  @ApiProperty({ type: 'object', additionalProperties: { type: ['string', 'null'] }, example: { 'trace-id': '4bf92f3577b34da6' }, description: 'Headers: UTF-8 strings (base64 when valueFormat is binary, or named in headerEncodings); a repeated name keeps its last value.' })
  headers!: Record<string, string | null>;
  @ApiPropertyOptional({ enum: ['base64'], description: 'Present when the key is base64 although keyFormat is not binary (auto found no UTF-8, or the bytes did not fit keyFormat).' })
  keyEncoding?: 'base64';
  @ApiPropertyOptional({ enum: ['base64'], description: 'Present when the value is base64 although valueFormat is not binary.' })
  valueEncoding?: 'base64';
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string', enum: ['base64'] }, description: 'Headers whose value is base64 because it is not UTF-8.', example: { 'trace-bin': 'base64' } })
  headerEncodings?: Record<string, 'base64'>;
  @ApiPropertyOptional({ type: 'integer', example: 3, description: 'With keyFormat=json: the key was schema-encoded (Confluent wire format) and is shown decoded with this registered schema (docs/schemas.md).' })
  keySchemaId?: number;
  @ApiPropertyOptional({ type: 'integer', example: 7, description: 'With valueFormat=json: the value was schema-encoded (Confluent wire format: Avro, Protobuf or JSON Schema) and is shown decoded with this registered schema (docs/schemas.md).' })
  valueSchemaId?: number;
  @ApiPropertyOptional({ type: RecordErrorDto, description: 'Set when an explicit format did not fit the stored bytes; those fields are base64 (see the encodings). The other records are unaffected.' })
  error?: RecordErrorDto;
}

@ApiSchema({ name: 'FetchResponse' })
export class FetchResponseDto {
  @ApiProperty({ type: [FetchedRecordDto] }) records!: FetchedRecordDto[];
  @ApiProperty({ type: 'integer', example: 43, description: 'Offset to fetch next.' }) nextOffset!: number;
  @ApiProperty({ type: 'integer', example: 1200, description: 'Reads end here: every record below it is on every in-sync replica (on a single node, the offset the next produced record will get). Consumer lag is measured against it.' }) highWatermark!: number;
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
  @ApiProperty({ type: 'integer', example: 1200, description: 'Latest offset a consumer can start from: the highWatermark (on a single node, the next offset to be written).' }) latest!: number;
  @ApiProperty({ type: 'integer', example: 1200, description: 'Every record below it is on every in-sync replica; reads end here.' }) highWatermark!: number;
  @ApiPropertyOptional({
    type: OffsetForTimestampDto,
    nullable: true,
    description: 'Only when ?timestamp= was given: the first record at or after it, or null when none is.',
  })
  byTimestamp?: OffsetForTimestampDto | null;
}
