/** GET /asyncapi/topics.json: per-topic schemas as an AsyncAPI document (topic-asyncapi.ts). */
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { LogManager } from '@spool/log-engine';
import { SchemaRegistry } from '@spool/schema-registry';
import { topicAsyncApi } from './topic-asyncapi.js';

@ApiExcludeController()
@Controller('asyncapi')
export class TopicAsyncApiController {
  constructor(
    private readonly registry: SchemaRegistry,
    private readonly logs: LogManager,
  ) {}

  @Get('topics.json')
  @Header('cache-control', 'no-cache')
  async topics(): Promise<Record<string, unknown>> {
    await this.registry.open();
    return topicAsyncApi(this.registry, this.logs.listTopics().map((t) => t.name));
  }
}
