/**
 * Partition reassignment over HTTP (Kafka's AlterPartitionReassignments / ListPartitionReassignments
 * and kafka-reassign-partitions.sh, for operators and the `spool` CLI), with the same checks and
 * codes as the Kafka face (cluster/partition-reassignments.ts):
 *
 *   GET    /v1/cluster/reassignments                             moves in progress (?topic= narrows)
 *   POST   /v1/cluster/reassignments                             move (or cancel) many partitions
 *   GET    /v1/topics/{topic}/partitions/{p}/reassignment        one partition's replicas and move
 *   PUT    /v1/topics/{topic}/partitions/{p}/reassignment        move it to {replicas}
 *   DELETE /v1/topics/{topic}/partitions/{p}/reassignment        cancel its move
 *
 * A change is answered once it is recorded in the cluster metadata (and visible on this node); the
 * move completes later, when the new replicas have caught up (docs/cluster.md). POST checks every
 * partition before writing any: one refusal refuses the request whole (its details list each
 * refused partition). ACLs as Kafka's: ALTER on the cluster to move, DESCRIBE on it to look.
 */
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UsePipes } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ClusterError, ReassignmentRequest } from '@spool/cluster';
import { SpoolError } from '@spool/common';
import { ClusterService } from '../../cluster/cluster.service.js';
import { alterPartitionReassignments, checkPartitionReassignments, listPartitionReassignments, type ReassignmentOutcome } from '../../cluster/partition-reassignments.js';
import { RequireAcl } from '../../security/http-auth.js';
import { ErrorEnvelopeDto } from '../errors/error-envelope.dto.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { queryInt } from '../records/fetch.service.js';
import { dtoValidationPipe } from '../validation.pipe.js';
import { PartitionReassignmentDto, PartitionReassignmentListDto, ReassignPartitionDto, ReassignPartitionsDto } from './reassignments.dto.js';

const MAX_PARTITION = 2147483647;
const TOPIC_PARAM = { name: 'topic', description: 'Topic name', example: 'orders' } as const;
const PARTITION_PARAM = { name: 'partition', description: 'Partition number', example: 0, schema: { type: 'integer', minimum: 0 } } as const;
const CONFLICT = {
  status: 409,
  type: ErrorEnvelopeDto,
  description: 'Cancelling with no move in progress (NO_REASSIGNMENT_IN_PROGRESS), or the partition kept changing during the update (INVALID_UPDATE_VERSION: retry)',
} as const;
const BAD_ASSIGNMENT = {
  status: 400,
  type: ErrorEnvelopeDto,
  description: 'Malformed request (INVALID_REQUEST), or replicas that are empty, repeat a broker or name a broker that is not registered (INVALID_REPLICA_ASSIGNMENT)',
} as const;

@ApiTags('cluster')
@Controller()
@UsePipes(dtoValidationPipe())
export class ReassignmentsController {
  constructor(private readonly cluster: ClusterService) {}

  @Get('v1/cluster/reassignments')
  @ApiOperation({ operationId: 'listPartitionReassignments', summary: 'List the partition moves in progress (Kafka\'s ListPartitionReassignments)' })
  @ApiQuery({ name: 'topic', required: false, description: 'Only this topic\'s partitions' })
  @ApiOkResponse({ type: PartitionReassignmentListDto })
  @RequireAcl({ operation: 'DESCRIBE', resourceType: 'CLUSTER' })
  @ApiErrors(401, 403)
  list(@Query('topic') topic?: string): PartitionReassignmentListDto {
    const metadata = this.cluster.metadata;
    const filter = typeof topic === 'string' && topic !== '' ? [{ topic, partitions: metadata.partitions(topic).map((p) => p.partition) }] : null;
    return { partitions: listPartitionReassignments(metadata, filter).map((r) => this.describe(r.topic, r.partition)) };
  }

  @Post('v1/cluster/reassignments')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'reassignPartitions',
    summary: 'Move partitions to other brokers, or cancel their moves (Kafka\'s AlterPartitionReassignments)',
    description:
      'Each partition gets its target replicas (null cancels its move). Every partition is checked before any is changed: one refusal refuses the whole request, and details.refused lists each refused partition with its code. ' +
      'Answered once the moves are recorded; they complete when the new replicas have caught up (GET /v1/cluster/reassignments lists them until then).',
  })
  @ApiBody({ type: ReassignPartitionsDto, examples: { drain: { value: { partitions: [{ topic: 'orders', partition: 0, replicas: [1, 2] }, { topic: 'orders', partition: 3, replicas: [2, 1] }] } }, cancel: { value: { partitions: [{ topic: 'orders', partition: 0, replicas: null }] } } } })
  @ApiOkResponse({ type: PartitionReassignmentListDto, description: 'The partitions asked for, as they are now.' })
  @RequireAcl({ operation: 'ALTER', resourceType: 'CLUSTER' })
  @ApiResponse(BAD_ASSIGNMENT)
  @ApiResponse(CONFLICT)
  @ApiErrors(401, 403, 404)
  async reassign(@Body() body: ReassignPartitionsDto): Promise<PartitionReassignmentListDto> {
    const requests = body.partitions.map((p) => ({ topic: p.topic, partition: p.partition, target: p.replicas }));
    const refused = checkPartitionReassignments(this.cluster.metadata, requests);
    if (refused.length > 0) throw refusal(refused, []);
    return { partitions: await this.apply(requests) };
  }

  @Get('v1/topics/:topic/partitions/:partition/reassignment')
  @ApiOperation({ operationId: 'describePartitionReassignment', summary: 'A partition\'s replicas and the move in progress, if any' })
  @ApiParam(TOPIC_PARAM)
  @ApiParam(PARTITION_PARAM)
  @ApiOkResponse({ type: PartitionReassignmentDto, description: 'addingReplicas and removingReplicas are empty when no move is in progress.' })
  @RequireAcl({ operation: 'DESCRIBE', resourceType: 'CLUSTER' })
  @ApiErrors(400, 401, 403, 404)
  describeOne(@Param('topic') topic: string, @Param('partition') partitionParam: string): PartitionReassignmentDto {
    const partition = partitionOf(partitionParam);
    if (this.cluster.metadata.partition(topic, partition) === undefined) {
      throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${topic}-${partition} does not exist`, { topic, partition });
    }
    return this.describe(topic, partition);
  }

  @Put('v1/topics/:topic/partitions/:partition/reassignment')
  @ApiOperation({ operationId: 'reassignPartition', summary: 'Move a partition to other brokers (or reorder its replicas), or with replicas null cancel its move' })
  @ApiParam(TOPIC_PARAM)
  @ApiParam(PARTITION_PARAM)
  @ApiBody({ type: ReassignPartitionDto, examples: { move: { value: { replicas: [1, 2] } } } })
  @ApiOkResponse({ type: PartitionReassignmentDto, description: 'The partition once the move is recorded.' })
  @RequireAcl({ operation: 'ALTER', resourceType: 'CLUSTER' })
  @ApiResponse(BAD_ASSIGNMENT)
  @ApiResponse(CONFLICT)
  @ApiErrors(401, 403, 404)
  async reassignOne(@Param('topic') topic: string, @Param('partition') partitionParam: string, @Body() body: ReassignPartitionDto): Promise<PartitionReassignmentDto> {
    const [state] = await this.apply([{ topic, partition: partitionOf(partitionParam), target: body.replicas }]);
    return state!;
  }

  @Delete('v1/topics/:topic/partitions/:partition/reassignment')
  @ApiOperation({ operationId: 'cancelPartitionReassignment', summary: 'Cancel a partition\'s move: back to its original replicas' })
  @ApiParam(TOPIC_PARAM)
  @ApiParam(PARTITION_PARAM)
  @ApiOkResponse({ type: PartitionReassignmentDto, description: 'The partition once the cancellation is recorded (the controller completes it as soon as an original replica is in sync).' })
  @RequireAcl({ operation: 'ALTER', resourceType: 'CLUSTER' })
  @ApiResponse(CONFLICT)
  @ApiErrors(400, 401, 403, 404)
  async cancelOne(@Param('topic') topic: string, @Param('partition') partitionParam: string): Promise<PartitionReassignmentDto> {
    const [state] = await this.apply([{ topic, partition: partitionOf(partitionParam), target: null }]);
    return state!;
  }

  /** Writes the requests; any refused one fails the call (naming what was applied meanwhile). */
  private async apply(requests: readonly ReassignmentRequest[]): Promise<PartitionReassignmentDto[]> {
    const outcomes = await alterPartitionReassignments(this.cluster.metadata, requests);
    const refused = outcomes.filter((o) => o.error !== null);
    if (refused.length > 0) throw refusal(refused, outcomes.filter((o) => o.error === null));
    return outcomes.map((o) => this.describe(o.topic, o.partition));
  }

  private describe(topic: string, partition: number): PartitionReassignmentDto {
    const state = this.cluster.metadata.partition(topic, partition);
    return {
      topic,
      partition,
      replicas: [...(state?.replicas ?? [])],
      addingReplicas: [...(state?.addingReplicas ?? [])],
      removingReplicas: [...(state?.removingReplicas ?? [])],
      leader: state?.leader ?? null,
      isr: [...(state?.isr ?? [])],
    };
  }
}

function partitionOf(raw: string): number {
  const partition = queryInt(raw, 'partition', MAX_PARTITION);
  if (partition === undefined) throw new SpoolError('INVALID_REQUEST', 'partition is missing');
  return partition;
}

/** The first refusal's code and message, with every refused (and any applied) partition in details. */
function refusal(refused: readonly ReassignmentOutcome[], applied: readonly ReassignmentOutcome[]): SpoolError {
  const first = refused[0]!.error as ClusterError;
  const message = refused.length === 1 ? first.message : `${first.message} (and ${refused.length - 1} more partitions refused)`;
  return new SpoolError(first.code, message, {
    refused: refused.map((o) => ({ topic: o.topic, partition: o.partition, code: o.error!.code, message: o.error!.message })),
    ...(applied.length > 0 ? { applied: applied.map((o) => ({ topic: o.topic, partition: o.partition })) } : {}),
  });
}
