/** Topic admin: create, list, describe, alter configs, add partitions, delete. */
import { Body, Controller, Delete, Get, HttpCode, Optional, Param, Patch, Post, Query, UsePipes } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { SpoolError } from '@spool/common';
import { queryInt } from '../records/fetch.service.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { dtoValidationPipe } from '../validation.pipe.js';
import { AlterConfigsDto, CreatePartitionsDto, CreateTopicDto, TopicDescriptionDto, TopicListDto } from './topics.dto.js';
import { TopicsService } from './topics.service.js';
import { ProduceService } from '../../produce/produce.service.js';
import { AccessControl, DISABLED_ACCESS } from '../../security/access-control.js';
import { CurrentIdentity, RequireAcl } from '../../security/http-auth.js';
import type { Identity } from '@spool/security';

const TOPIC_PARAM = { name: 'topic', description: 'Topic name', example: 'page-views' } as const;

@ApiTags('topics')
@Controller('v1/topics')
@UsePipes(dtoValidationPipe())
export class TopicsController {
  constructor(
    private readonly topics: TopicsService,
    private readonly produce: ProduceService,
    @Optional() private readonly access: AccessControl = DISABLED_ACCESS,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ operationId: 'createTopic', summary: 'Create a topic' })
  @ApiBody({ type: CreateTopicDto, examples: { basic: { value: { name: 'page-views', partitions: 3, configs: { 'retention.ms': '86400000' } } } } })
  @ApiCreatedResponse({ type: TopicDescriptionDto, description: 'The created topic.' })
  @ApiErrors(400, 401, 403, 409)
  create(@Body() body: CreateTopicDto, @CurrentIdentity() identity: Identity): Promise<TopicDescriptionDto> {
    this.access.checkMayCreateTopic(identity, body.name);
    this.topics.checkTenantLimits(this.access, body.name, { topics: 1, partitions: body.partitions });
    return this.topics.create(body.name, body.partitions, body.configs, body.replicationFactor);
  }

  @Get()
  @ApiOperation({ operationId: 'listTopics', summary: 'List topics' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 10000 }, description: 'At most this many topics (a page, by name); every topic when absent.' })
  @ApiQuery({ name: 'after', required: false, schema: { type: 'string' }, description: "Cursor: only topics whose name sorts after this one (the previous page's nextAfter)." })
  @ApiQuery({ name: 'search', required: false, schema: { type: 'string' }, description: 'Only topics whose name contains this text.' })
  @ApiOkResponse({ type: TopicListDto, description: 'The topics the caller may describe, by name.' })
  @ApiErrors(400, 401)
  async list(@CurrentIdentity() identity: Identity, @Query() query: Record<string, unknown>): Promise<TopicListDto> {
    // Paged by name with a cursor (not an offset): a page stays right while topics come and go.
    const limit = queryInt(query.limit, 'limit', 10_000);
    if (limit === 0) throw new SpoolError('INVALID_REQUEST', 'query parameter limit must be at least 1', { field: 'limit' });
    const after = queryText(query.after, 'after');
    const search = queryText(query.search, 'search') ?? '';
    const topics = this.topics.list();
    const visible = new Set(this.access.describable(identity, 'TOPIC', topics.map((t) => t.name)));
    const matching = topics.filter((t) => visible.has(t.name) && t.name.includes(search));
    const rest = after === undefined ? matching : matching.filter((t) => t.name > after);
    const page = limit === undefined ? rest : rest.slice(0, limit);
    // Cluster mode: records counted from the leaders, for this page only (one ListOffsets per leader).
    return { topics: await this.topics.withLeaderRecords(page), total: matching.length, nextAfter: page.length < rest.length ? page[page.length - 1]!.name : null };
  }

  @Get(':topic')
  @ApiOperation({ operationId: 'describeTopic', summary: 'Describe a topic: configs and partitions' })
  @ApiParam(TOPIC_PARAM)
  @ApiOkResponse({ type: TopicDescriptionDto })
  @RequireAcl({ operation: 'DESCRIBE', resourceType: 'TOPIC', from: 'topic' })
  @ApiErrors(401, 403, 404)
  describe(@Param('topic') topic: string): Promise<TopicDescriptionDto> {
    return this.topics.describeWithLeaderOffsets(topic);
  }

  @Patch(':topic/configs')
  @ApiOperation({ operationId: 'alterTopicConfigs', summary: 'Set or reset topic configs' })
  @ApiParam(TOPIC_PARAM)
  @ApiBody({ type: AlterConfigsDto })
  @ApiOkResponse({ type: TopicDescriptionDto, description: 'The topic with its new effective configs.' })
  @RequireAcl({ operation: 'ALTER_CONFIGS', resourceType: 'TOPIC', from: 'topic' })
  @ApiErrors(400, 401, 403, 404)
  alterConfigs(@Param('topic') topic: string, @Body() body: AlterConfigsDto): Promise<TopicDescriptionDto> {
    return this.topics.alterConfigs(topic, body.configs);
  }

  @Post(':topic/partitions')
  @HttpCode(200)
  @ApiOperation({ operationId: 'createPartitions', summary: 'Increase the partition count' })
  @ApiParam(TOPIC_PARAM)
  @ApiBody({ type: CreatePartitionsDto })
  @ApiOkResponse({ type: TopicDescriptionDto })
  @RequireAcl({ operation: 'ALTER', resourceType: 'TOPIC', from: 'topic' })
  @ApiErrors(400, 401, 403, 404)
  createPartitions(@Param('topic') topic: string, @Body() body: CreatePartitionsDto): Promise<TopicDescriptionDto> {
    const current = this.topics.describe(topic).partitions.length;
    if (body.count > current) this.topics.checkTenantLimits(this.access, topic, { topics: 0, partitions: body.count - current });
    return this.topics.createPartitions(topic, body.count);
  }

  @Delete(':topic')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteTopic', summary: 'Delete a topic and its data' })
  @ApiParam(TOPIC_PARAM)
  @ApiNoContentResponse({ description: 'Deleted; the name can be reused at once.' })
  @RequireAcl({ operation: 'DELETE', resourceType: 'TOPIC', from: 'topic' })
  @ApiErrors(401, 403, 404)
  async delete(@Param('topic') topic: string): Promise<void> {
    await this.topics.delete(topic);
    this.produce.forgetTopic(topic);
  }
}

/** A text query parameter given once (a repeated one arrives as an array: refused). */
function queryText(raw: unknown, name: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new SpoolError('INVALID_REQUEST', `query parameter ${name} must be given once`, { field: name });
  return raw;
}
