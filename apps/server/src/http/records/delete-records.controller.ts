/**
 * DeleteRecords over HTTP: the same operation as Kafka's DeleteRecords (apiKey 21),
 * kafka-delete-records.sh and kafkajs admin.deleteTopicRecords, on one partition. From the answer on,
 * `earliest`, fetches without an offset, Kafka's ListOffsets earliest and consumers resetting to
 * earliest start at the new log start offset, and fetches below it are 416 OFFSET_OUT_OF_RANGE.
 *
 * Any node serves it (docs/cluster.md, "Any face on any node"). The caller's credentials and its
 * DELETE ACL on the topic are checked here, on the node it reached; then:
 *   this node leads the partition   replicated-delete-records.ts: the log start offset moves here
 *                                   (durable), and the answer waits until every live replica's
 *                                   log start offset reached it, at most WEB_ACKS_TIMEOUT_MS;
 *   another broker leads it          the deletion goes to the leader as a Kafka DeleteRecords
 *                                   (cluster/forward-delete-records.ts, on a connection of its own),
 *                                   which answers the same way; this node's copy, if any, follows
 *                                   as a replica;
 *   the leader is moving             NOT_LEADER_OR_FOLLOWER / LEADER_NOT_AVAILABLE are tried again
 *                                   (routed anew) for up to LEADERSHIP_WAIT_MS: a deletion is
 *                                   safe to repeat, and a browser cannot refresh metadata.
 * A single node deletes in its own log and answers with the new log start offset.
 */
import { Body, Controller, HttpCode, Inject, Param, Post, UsePipes } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { isSpoolError, SpoolError } from '@spool/common';
import { isInternalTopic, LogManager } from '@spool/log-engine';
import { ClusterService } from '../../cluster/cluster.service.js';
import { forwardDeleteRecords } from '../../cluster/forward-delete-records.js';
import { ReplicationService } from '../../replication/replication.service.js';
import { deleteRecordsOnLeader } from '../../replication/replicated-delete-records.js';
import { WEB_ACKS_TIMEOUT_MS } from '../../replication/replicated-append.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { dtoValidationPipe } from '../validation.pipe.js';
import { DeleteRecordsDto, DeleteRecordsResultDto } from './delete-records.dto.js';
import { queryInt } from './fetch.service.js';
import { RequireAcl } from '../../security/http-auth.js';

const MAX_PARTITION = 2147483647;
/** How long a deletion waits for the partition's leader to be known and serving (docs/cluster.md). */
const LEADERSHIP_WAIT_MS = 5_000;
const ROUTE_RETRY_MS = 100;
/** Answers that say the leader is elsewhere or not ready and nothing was deleted: route again. */
const LEADER_MOVING: ReadonlySet<string> = new Set(['NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE']);

@ApiTags('records')
@Controller('v1/topics/:topic/partitions/:partition')
@UsePipes(dtoValidationPipe())
export class DeleteRecordsController {
  constructor(
    @Inject(LogManager) private readonly logs: LogManager,
    @Inject(ClusterService) private readonly cluster: ClusterService,
    @Inject(ReplicationService) private readonly replication: ReplicationService,
  ) {}

  @Post('delete-records')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'deleteRecords',
    summary: 'Delete the records before an offset',
    description:
      'Raises the partition\'s logStartOffset to `offset` (Kafka\'s DeleteRecords) and deletes the segments wholly below it. ' +
      'Answered once the new logStartOffset is on disk (it survives a crash) and, in a cluster, every live replica has it (any node takes the request and forwards it to the leader). ' +
      'Refused on compact-only topics (POLICY_VIOLATION, as Kafka) and internal topics.',
  })
  @ApiParam({ name: 'topic', description: 'Topic name', example: 'page-views' })
  @ApiParam({ name: 'partition', description: 'Partition number', example: 0, schema: { type: 'integer', minimum: 0 } })
  @ApiBody({ type: DeleteRecordsDto, examples: { before: { value: { offset: 1200 } }, everything: { value: { offset: -1 } } } })
  @ApiOkResponse({ type: DeleteRecordsResultDto })
  @RequireAcl({ operation: 'DELETE', resourceType: 'TOPIC', from: 'topic' })
  @ApiErrors(400, 401, 403, 404, 416, 503, 504)
  async deleteRecords(@Param('topic') topic: string, @Param('partition') partitionParam: string, @Body() body: DeleteRecordsDto): Promise<DeleteRecordsResultDto> {
    const partition = queryInt(partitionParam, 'partition', MAX_PARTITION);
    if (partition === undefined) throw new SpoolError('INVALID_REQUEST', 'partition is missing');
    if (isInternalTopic(topic)) {
      throw new SpoolError('POLICY_VIOLATION', `topic ${JSON.stringify(topic)} is internal (the "__" prefix is the broker's): its records cannot be deleted`, { topic });
    }
    const logStartOffset = await this.deleteOnLeader(topic, partition, body.offset);
    return { topic, partition, logStartOffset };
  }

  /** Here if this node leads, else on the leader (see the top of the file); resolves with the low watermark. */
  private async deleteOnLeader(topic: string, partition: number, offset: number): Promise<number> {
    const cluster = this.cluster;
    const deps = { logManager: this.logs, gate: cluster.leadership, leaderFor: (t: string, p: number) => this.replication.awaitLeaderFor(t, p, LEADERSHIP_WAIT_MS) };
    if (cluster.mode !== 'etcd') return deleteRecordsOnLeader(deps, topic, partition, offset, WEB_ACKS_TIMEOUT_MS);
    const deadline = Date.now() + LEADERSHIP_WAIT_MS;
    for (;;) {
      const route = cluster.router.route(topic, partition);
      try {
        if (route.kind === 'refused') throw route.error;
        if (route.kind === 'local') return await deleteRecordsOnLeader(deps, topic, partition, offset, WEB_ACKS_TIMEOUT_MS);
        return await forwardDeleteRecords(cluster.waits, route.leader, topic, partition, offset, WEB_ACKS_TIMEOUT_MS, cluster.settings.peerRequestTimeoutMs);
      } catch (err) {
        if (!isSpoolError(err) || !LEADER_MOVING.has(err.code) || Date.now() + ROUTE_RETRY_MS > deadline) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, ROUTE_RETRY_MS));
    }
  }
}
