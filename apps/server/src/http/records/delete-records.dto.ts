/** DeleteRecords request and response shapes (class-validator rules + OpenAPI description). */
import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

@ApiSchema({ name: 'DeleteRecords' })
export class DeleteRecordsDto {
  @ApiProperty({
    type: 'integer',
    minimum: -1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'Delete every record below this offset: it becomes the partition\'s logStartOffset. -1 means the highWatermark (delete everything written so far). At most the highWatermark.',
    example: 1200,
  })
  @IsInt()
  @Min(-1)
  @Max(Number.MAX_SAFE_INTEGER)
  offset!: number;
}

@ApiSchema({ name: 'DeleteRecordsResult' })
export class DeleteRecordsResultDto {
  @ApiProperty({ example: 'page-views' }) topic!: string;
  @ApiProperty({ type: 'integer', example: 0 }) partition!: number;
  @ApiProperty({
    type: 'integer',
    example: 1200,
    description: 'The partition\'s logStartOffset afterwards (Kafka\'s low watermark). It never moves back: a smaller offset than the current one changes nothing.',
  })
  logStartOffset!: number;
}
