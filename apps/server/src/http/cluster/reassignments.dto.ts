/** Partition reassignment over HTTP: request and response shapes (class-validator rules + OpenAPI description). */
import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsString, Max, Min, ValidateIf, ValidateNested } from 'class-validator';

/** Bounds a hostile body: more replicas than any cluster has brokers is refused before anything is looked up. */
const MAX_REPLICAS = 1000;
const MAX_PARTITIONS_PER_REQUEST = 10_000;

const REPLICAS_DESCRIPTION =
  'The target replicas, preferred leader first (broker ids of registered brokers, each once). The new ones catch up, then the controller removes the others and moves the leadership off a leaving leader.';

@ApiSchema({ name: 'ReassignPartition' })
export class ReassignPartitionDto {
  @ApiProperty({ type: [Number], nullable: true, maxItems: MAX_REPLICAS, example: [1, 2], description: `${REPLICAS_DESCRIPTION} null cancels the reassignment in progress (back to the original replicas).` })
  @ValidateIf((_o, value) => value !== null)
  @IsArray()
  @ArrayMaxSize(MAX_REPLICAS)
  @IsInt({ each: true })
  replicas!: number[] | null;
}

@ApiSchema({ name: 'PartitionReassignmentRequest' })
export class PartitionReassignmentRequestDto extends ReassignPartitionDto {
  @ApiProperty({ example: 'orders' })
  @IsString()
  topic!: string;

  @ApiProperty({ type: 'integer', minimum: 0, example: 0 })
  @IsInt()
  @Min(0)
  @Max(2147483647)
  partition!: number;
}

@ApiSchema({ name: 'ReassignPartitions' })
export class ReassignPartitionsDto {
  @ApiProperty({ type: [PartitionReassignmentRequestDto], minItems: 1, maxItems: MAX_PARTITIONS_PER_REQUEST, description: 'Partitions to move (or whose move to cancel), each named once.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PARTITIONS_PER_REQUEST)
  @ValidateNested({ each: true })
  @Type(() => PartitionReassignmentRequestDto)
  partitions!: PartitionReassignmentRequestDto[];
}

@ApiSchema({ name: 'PartitionReassignment' })
export class PartitionReassignmentDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ type: 'integer', example: 0 }) partition!: number;
  @ApiProperty({ type: [Number], example: [1, 2, 3], description: 'The replicas now: during a move, the target replicas then the leaving ones.' }) replicas!: number[];
  @ApiProperty({ type: [Number], example: [1], description: 'Replicas joining: not yet in the ISR when the move started (empty: no move in progress).' }) addingReplicas!: number[];
  @ApiProperty({ type: [Number], example: [3], description: 'Replicas leaving once every joining one is in the ISR (empty: no move in progress).' }) removingReplicas!: number[];
  @ApiProperty({ type: 'integer', nullable: true, example: 2, description: 'The leader now (null: offline).' }) leader!: number | null;
  @ApiProperty({ type: [Number], example: [2, 3], description: 'The in-sync replicas now.' }) isr!: number[];
}

@ApiSchema({ name: 'PartitionReassignmentList' })
export class PartitionReassignmentListDto {
  @ApiProperty({ type: [PartitionReassignmentDto], description: 'Partitions with a move in progress (Kafka\'s ListPartitionReassignments), by topic and partition; or, after a change, the partitions changed.' })
  partitions!: PartitionReassignmentDto[];
}
