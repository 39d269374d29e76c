/**
 * Confluent Schema Registry's REST API under /schemas: a Confluent client's base URL is
 * `http://<broker>:<http port>/schemas`, unmodified otherwise. Routes, query flags, bodies and
 * error codes follow Confluent's (docs/schemas.md lists the differences); the registry itself
 * (@spool/schema-registry) does the work, this controller only translates. Every handler waits
 * for the registry to have read `_schemas` (open() is shared and cheap once done). Reads by id
 * that find nothing catch up with `_schemas` and answer again (SchemaRegistry.fresh); other reads
 * catch up first (SchemaRegistry.caughtUp), so a write acknowledged on any node is read on this
 * one. Writes carry the request's origin (Authorization, forwarded or not) to the writer, which in
 * cluster mode may be another broker.
 */
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SCHEMA_TYPES, SchemaRegistry, SchemaRegistryError, type CompatibilityLevel, type Mode, type SchemaReference, type SchemaType } from '@spool/schema-registry';
import { compatibilityBody, flag, importIds, modeBody, parseVersion, schemaInput } from './schema-registry.request.js';
import { withWriteOrigin, writeOriginOf } from './schema-write-origin.js';

type Query = Record<string, string | undefined>;
type RequestHeaders = Record<string, string | string[] | undefined>;

/** A schema as Confluent shows it: schemaType omitted for AVRO, references when empty. */
function schemaView<T extends { schemaType: SchemaType; references: readonly SchemaReference[] }>(view: T): Omit<T, 'schemaType' | 'references'> & { schemaType?: SchemaType; references?: readonly SchemaReference[] } {
  const { schemaType, references, ...rest } = view;
  return { ...rest, ...(schemaType !== 'AVRO' && { schemaType }), ...(references.length > 0 && { references }) };
}

@ApiExcludeController()
@Controller('schemas')
export class SchemaRegistryController {
  constructor(private readonly registry: SchemaRegistry) {}

  private async ready(): Promise<SchemaRegistry> {
    await this.registry.open();
    return this.registry;
  }

  /**
   * A read of what writes change (configs, modes, subjects, versions): answered after catching up
   * with `_schemas`, so a write acknowledged on any node is seen here (SchemaRegistry.caughtUp).
   */
  private async read<T>(answer: (registry: SchemaRegistry) => T): Promise<T> {
    const registry = await this.ready();
    return registry.caughtUp(() => answer(registry));
  }

  /** A read by schema id: ids never change what they name, so the state answers, caught up only when it finds nothing (SchemaRegistry.fresh). */
  private async readById<T>(answer: (registry: SchemaRegistry) => T): Promise<T> {
    const registry = await this.ready();
    return registry.fresh(() => answer(registry));
  }

  /** A write, with the request's origin for the cluster writer (which may forward it: schema-write-origin.ts). */
  private write<T>(headers: RequestHeaders, command: () => Promise<T>): Promise<T> {
    return withWriteOrigin(writeOriginOf(headers), command);
  }

  @Get()
  root(): Record<string, never> {
    return {};
  }

  // ---- schemas by id ----

  @Get('schemas/types')
  types(): readonly string[] {
    return SCHEMA_TYPES;
  }

  @Get('schemas/ids/:id')
  async schemaById(@Param('id') id: string): Promise<object> {
    const stored = await this.readById((registry) => registry.schemaById(schemaId(id)));
    return schemaView({ schema: stored.schema, schemaType: stored.schemaType, references: stored.references });
  }

  @Get('schemas/ids/:id/schema')
  async rawSchemaById(@Param('id') id: string): Promise<string> {
    return this.readById((registry) => registry.schemaById(schemaId(id)).schema);
  }

  @Get('schemas/ids/:id/versions')
  async versionsOfId(@Param('id') id: string, @Query() query: Query): Promise<Array<{ subject: string; version: number }>> {
    return this.read((registry) => registry.versionsOfId(schemaId(id), flag(query.deleted)).map((v) => ({ subject: v.subject, version: v.version })));
  }

  @Get('schemas/ids/:id/subjects')
  async subjectsOfId(@Param('id') id: string, @Query() query: Query): Promise<string[]> {
    return [...new Set(await this.read((registry) => registry.versionsOfId(schemaId(id), flag(query.deleted)).map((v) => v.subject)))];
  }

  // ---- subjects ----

  @Get('subjects')
  async subjects(@Query() query: Query): Promise<string[]> {
    return this.read((registry) => registry.subjects(flag(query.deleted), query.subjectPrefix ?? ''));
  }

  @Get('subjects/:subject/versions')
  async versions(@Param('subject') subject: string, @Query() query: Query): Promise<number[]> {
    return this.read((registry) => registry.versions(subject, flag(query.deleted)));
  }

  @Post('subjects/:subject/versions')
  @HttpCode(200)
  async register(@Param('subject') subject: string, @Body() body: unknown, @Query() query: Query, @Headers() headers: RequestHeaders): Promise<{ id: number }> {
    const input = schemaInput(body);
    const { id } = await this.write(headers, async () => (await this.ready()).register(subject, input, { normalize: flag(query.normalize), ...importIds(body) }));
    return { id };
  }

  @Get('subjects/:subject/versions/:version')
  async version(@Param('subject') subject: string, @Param('version') version: string, @Query() query: Query): Promise<object> {
    const { deleted: _deleted, ...view } = await this.read((registry) => registry.version(subject, parseVersion(version), flag(query.deleted)));
    return schemaView(view);
  }

  @Get('subjects/:subject/versions/:version/schema')
  async rawVersionSchema(@Param('subject') subject: string, @Param('version') version: string, @Query() query: Query): Promise<string> {
    return this.read((registry) => registry.version(subject, parseVersion(version), flag(query.deleted)).schema);
  }

  @Get('subjects/:subject/versions/:version/referencedby')
  async referencedBy(@Param('subject') subject: string, @Param('version') version: string): Promise<number[]> {
    return this.read((registry) => registry.referencedBy(subject, parseVersion(version)));
  }

  @Delete('subjects/:subject/versions/:version')
  async deleteVersion(@Param('subject') subject: string, @Param('version') version: string, @Query() query: Query, @Headers() headers: RequestHeaders): Promise<number> {
    return this.write(headers, async () => (await this.ready()).deleteVersion(subject, parseVersion(version), flag(query.permanent)));
  }

  /** Lookup: which version of the subject holds this schema. */
  @Post('subjects/:subject')
  @HttpCode(200)
  async lookup(@Param('subject') subject: string, @Body() body: unknown, @Query() query: Query): Promise<object> {
    const { deleted: _deleted, ...view } = await this.read((registry) => registry.lookup(subject, schemaInput(body), flag(query.normalize), flag(query.deleted)));
    return schemaView(view);
  }

  @Delete('subjects/:subject')
  async deleteSubject(@Param('subject') subject: string, @Query() query: Query, @Headers() headers: RequestHeaders): Promise<number[]> {
    return this.write(headers, async () => (await this.ready()).deleteSubject(subject, flag(query.permanent)));
  }

  // ---- compatibility ----

  @Post('compatibility/subjects/:subject/versions/:version')
  @HttpCode(200)
  async compatibleWithVersion(@Param('subject') subject: string, @Param('version') version: string, @Body() body: unknown, @Query() query: Query): Promise<object> {
    const result = await this.read((registry) => registry.testCompatibility(subject, parseVersion(version), schemaInput(body), flag(query.normalize)));
    return compatibilityAnswer(result, flag(query.verbose));
  }

  @Post('compatibility/subjects/:subject/versions')
  @HttpCode(200)
  async compatibleWithSubject(@Param('subject') subject: string, @Body() body: unknown, @Query() query: Query): Promise<object> {
    const result = await this.read((registry) => registry.testCompatibility(subject, null, schemaInput(body), flag(query.normalize)));
    return compatibilityAnswer(result, flag(query.verbose));
  }

  // ---- config (compatibility levels) ----

  @Get('config')
  async globalConfig(): Promise<{ compatibilityLevel: CompatibilityLevel }> {
    return { compatibilityLevel: await this.read((registry) => registry.config(null, true)) };
  }

  @Put('config')
  async setGlobalConfig(@Body() body: unknown, @Headers() headers: RequestHeaders): Promise<{ compatibility: CompatibilityLevel }> {
    return this.write(headers, async () => ({ compatibility: await (await this.ready()).setConfig(null, compatibilityBody(body)) }));
  }

  @Delete('config')
  async deleteGlobalConfig(@Headers() headers: RequestHeaders): Promise<{ compatibilityLevel: CompatibilityLevel }> {
    return this.write(headers, async () => ({ compatibilityLevel: await (await this.ready()).deleteConfig(null) }));
  }

  @Get('config/:subject')
  async subjectConfig(@Param('subject') subject: string, @Query() query: Query): Promise<{ compatibilityLevel: CompatibilityLevel }> {
    return { compatibilityLevel: await this.read((registry) => registry.config(subject, flag(query.defaultToGlobal))) };
  }

  @Put('config/:subject')
  async setSubjectConfig(@Param('subject') subject: string, @Body() body: unknown, @Headers() headers: RequestHeaders): Promise<{ compatibility: CompatibilityLevel }> {
    return this.write(headers, async () => ({ compatibility: await (await this.ready()).setConfig(subject, compatibilityBody(body)) }));
  }

  @Delete('config/:subject')
  async deleteSubjectConfig(@Param('subject') subject: string, @Headers() headers: RequestHeaders): Promise<{ compatibilityLevel: CompatibilityLevel }> {
    return this.write(headers, async () => ({ compatibilityLevel: await (await this.ready()).deleteConfig(subject) }));
  }

  // ---- mode ----

  @Get('mode')
  async globalMode(): Promise<{ mode: Mode }> {
    return { mode: await this.read((registry) => registry.mode(null, true)) };
  }

  @Put('mode')
  async setGlobalMode(@Body() body: unknown, @Query() query: Query, @Headers() headers: RequestHeaders): Promise<{ mode: Mode }> {
    return this.write(headers, async () => ({ mode: await (await this.ready()).setMode(null, modeBody(body), flag(query.force)) }));
  }

  @Delete('mode')
  async deleteGlobalMode(@Headers() headers: RequestHeaders): Promise<{ mode: Mode }> {
    return this.write(headers, async () => ({ mode: await (await this.ready()).deleteMode(null) }));
  }

  @Get('mode/:subject')
  async subjectMode(@Param('subject') subject: string, @Query() query: Query): Promise<{ mode: Mode }> {
    return { mode: await this.read((registry) => registry.mode(subject, flag(query.defaultToGlobal))) };
  }

  @Put('mode/:subject')
  async setSubjectMode(@Param('subject') subject: string, @Body() body: unknown, @Query() query: Query, @Headers() headers: RequestHeaders): Promise<{ mode: Mode }> {
    return this.write(headers, async () => ({ mode: await (await this.ready()).setMode(subject, modeBody(body), flag(query.force)) }));
  }

  @Delete('mode/:subject')
  async deleteSubjectMode(@Param('subject') subject: string, @Headers() headers: RequestHeaders): Promise<{ mode: Mode }> {
    return this.write(headers, async () => ({ mode: await (await this.ready()).deleteMode(subject) }));
  }
}

/** Ids are positive 32-bit integers; anything else names no schema (40403, as Confluent answers). */
function schemaId(text: string): number {
  const id = /^[0-9]{1,10}$/.test(text) ? Number(text) : 0;
  if (id < 1 || id > 2 ** 31 - 1) throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Schema ${JSON.stringify(text)} not found: ids are integers from 1 to 2^31-1`);
  return id;
}

function compatibilityAnswer(result: { compatible: boolean; messages: string[] }, verbose: boolean): object {
  return verbose ? { is_compatible: result.compatible, messages: result.messages } : { is_compatible: result.compatible };
}
