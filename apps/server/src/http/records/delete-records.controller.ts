/**
 * DeleteRecords over HTTP: the same operation as Kafka's DeleteRecords (apiKey 21),
 * kafka-delete-records.sh and kafkajs admin.deleteTopicRecords, on one partition. The answer comes
 * once the new logStartOffset is durable (LogManager.deleteRecords); from then on `earliest`, fetches
 * without an offset, Kafka's ListOffsets earliest and consumers resetting to earliest start there,
 * and fetches below it are 416 OFFSET_OUT_OF_RANGE.
 */
import { Body, Controller, HttpCode, Inject, Param, Post, UsePipes } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { SpoolError } from '@spool/common';
import { isInternalTopic, LogManager } from '@spool/log-engine';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { dtoValidationPipe } from '../validation.pipe.js';
import { DeleteRecordsDto, DeleteRecordsResultDto } from './delete-records.dto.js';
import { queryInt } from './fetch.service.js';
import { RequireAcl } from '../../security/http-auth.js';

const MAX_PARTITION = 2147483647;

@ApiTags('records')
@Controller('v1/topics/:topic/partitions/:partition')
@UsePipes(dtoValidationPipe())
export class DeleteRecordsController {
  constructor(@Inject(LogManager) private readonly logs: LogManager) {}

  @Post('delete-records')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'deleteRecords',
    summary: 'Delete the records before an offset',
    description:
      'Raises the partition\'s logStartOffset to `offset` (Kafka\'s DeleteRecords) and deletes the segments wholly below it. ' +
      'Answered once the new logStartOffset is on disk (it survives a crash). Refused on compact-only topics (POLICY_VIOLATION, as Kafka) and internal topics.',
  })
  @ApiParam({ name: 'topic', description: 'Topic name', example: 'page-views' })
  @ApiParam({ name: 'partition', description: 'Partition number', example: 0, schema: { type: 'integer', minimum: 0 } })
  @ApiBody({ type: DeleteRecordsDto, examples: { before: { value: { offset: 1200 } }, everything: { value: { offset: -1 } } } })
  @ApiOkResponse({ type: DeleteRecordsResultDto })
  @RequireAcl({ operation: 'DELETE', resourceType: 'TOPIC', from: 'topic' })
  @ApiErrors(400, 401, 403, 404, 416)
  async deleteRecords(@Param('topic') topic: string, @Param('partition') partitionParam: string, @Body() body: DeleteRecordsDto): Promise<DeleteRecordsResultDto> {
    const partition = queryInt(partitionParam, 'partition', MAX_PARTITION);
    if (partition === undefined) throw new SpoolError('INVALID_REQUEST', 'partition is missing');
    if (isInternalTopic(topic)) {
      throw new SpoolError('POLICY_VIOLATION', `topic ${JSON.stringify(topic)} is internal (the "__" prefix is the broker's): its records cannot be deleted`, { topic });
    }
    const logStartOffset = await this.logs.deleteRecords(topic, partition, body.offset);
    return { topic, partition, logStartOffset };
  }
}
