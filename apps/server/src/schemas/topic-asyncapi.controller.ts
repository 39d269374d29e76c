/**
 * GET /asyncapi.yaml and GET /asyncapi.json: the broker's AsyncAPI document, docs/asyncapi.yaml
 * with a channel per topic with schemas (topic-asyncapi.ts), in YAML or JSON. Read from the
 * working directory (the repository root, or /app in the image) once; built per request from the
 * registry's state, so newly registered schemas show at once. With authentication on, like every
 * route but the probes, it needs a credential (it names subjects and their schemas).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SchemaRegistry } from '@spool/schema-registry';
import { dump, load } from 'js-yaml';
import { asyncApiDocument } from './topic-asyncapi.js';

@ApiExcludeController()
@Controller()
export class TopicAsyncApiController {
  private base: Promise<Record<string, unknown>> | undefined;

  constructor(private readonly registry: SchemaRegistry) {}

  private async document(): Promise<Record<string, unknown>> {
    this.base ??= readFile(path.join(process.cwd(), 'docs', 'asyncapi.yaml'), 'utf8').then((text) => load(text) as Record<string, unknown>);
    let base: Record<string, unknown>;
    try {
      base = await this.base;
    } catch {
      this.base = undefined;
      throw new NotFoundException('docs/asyncapi.yaml is not in the working directory');
    }
    await this.registry.open();
    return asyncApiDocument(base, this.registry);
  }

  @Get('asyncapi.yaml')
  @Header('content-type', 'application/yaml; charset=utf-8')
  @Header('cache-control', 'no-cache')
  async yaml(): Promise<string> {
    return dump(await this.document(), { noRefs: true, lineWidth: 160 });
  }

  @Get('asyncapi.json')
  @Header('cache-control', 'no-cache')
  async json(): Promise<Record<string, unknown>> {
    return this.document();
  }
}
