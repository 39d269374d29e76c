/** OpenAPI shape of the error envelope (error-envelope.filter.ts writes it). */
import { ApiProperty, ApiSchema, ApiPropertyOptional } from '@nestjs/swagger';

@ApiSchema({ name: 'ErrorBody' })
export class ErrorBodyDto {
  @ApiProperty({ description: 'Stable error code; Kafka\'s error name where one fits.', example: 'UNKNOWN_TOPIC_OR_PARTITION' })
  code!: string;
  @ApiProperty({ description: 'What was wrong, with the values involved.', example: 'unknown topic "orders"' })
  message!: string;
  @ApiProperty({ description: 'Whether the same request may succeed when retried.', example: false })
  retriable!: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Structured context (offending field, limits, offsets).' })
  details?: Record<string, unknown>;
}

@ApiSchema({ name: 'ErrorEnvelope' })
export class ErrorEnvelopeDto {
  @ApiProperty({ type: ErrorBodyDto }) error!: ErrorBodyDto;
}
