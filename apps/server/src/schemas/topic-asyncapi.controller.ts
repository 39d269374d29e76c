/**
 * GET /asyncapi.yaml and GET /asyncapi.json: the broker's AsyncAPI document, docs/asyncapi.yaml
 * with a channel per topic with schemas (topic-asyncapi.ts), in YAML or JSON. Read from the
 * working directory (the repository root, or /app in the image) once. Each request first catches
 * the registry up with `_schemas` (so a schema registered on any node shows at once), then answers
 * from a cache kept per registry state and offset: the document (and its YAML) is rebuilt only when
 * the registry has applied something new since. With authentication on, like every route but the
 * probes, it needs a credential (it names subjects and their schemas).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SchemaRegistry, type RegistryState } from '@spool/schema-registry';
import { dump, load } from 'js-yaml';
import { asyncApiDocument } from './topic-asyncapi.js';

@ApiExcludeController()
@Controller()
export class TopicAsyncApiController {
  private base: Promise<Record<string, unknown>> | undefined;
  /** The last document built, for the registry state and offset it was built from; yaml rendered on first ask. */
  private cached: { state: RegistryState; offset: number; document: Record<string, unknown>; yaml?: string } | undefined;

  constructor(private readonly registry: SchemaRegistry) {}

  private async current(): Promise<{ document: Record<string, unknown>; yaml?: string }> {
    this.base ??= readFile(path.join(process.cwd(), 'docs', 'asyncapi.yaml'), 'utf8').then((text) => load(text) as Record<string, unknown>);
    let base: Record<string, unknown>;
    try {
      base = await this.base;
    } catch {
      this.base = undefined;
      throw new NotFoundException('docs/asyncapi.yaml is not in the working directory');
    }
    await this.registry.open();
    const registry = this.registry;
    // One catch-up per request; when it fails (cluster mode, the log's leader moving) what this node has read answers.
    await registry.caughtUp(() => undefined);
    const { state } = registry;
    const cached = this.cached;
    if (cached !== undefined && cached.state === state && cached.offset === state.nextOffset) return cached;
    const fresh = { state, offset: state.nextOffset, document: asyncApiDocument(base, registry) };
    this.cached = fresh;
    return fresh;
  }

  @Get('asyncapi.yaml')
  @Header('content-type', 'application/yaml; charset=utf-8')
  @Header('cache-control', 'no-cache')
  async yaml(): Promise<string> {
    const entry: { document: Record<string, unknown>; yaml?: string } = await this.current();
    entry.yaml ??= dump(entry.document, { noRefs: true, lineWidth: 160 });
    return entry.yaml;
  }

  @Get('asyncapi.json')
  @Header('cache-control', 'no-cache')
  async json(): Promise<Record<string, unknown>> {
    return (await this.current()).document;
  }
}
