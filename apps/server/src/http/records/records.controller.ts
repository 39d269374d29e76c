/**
 * Produce (JSON batch or NDJSON stream), fetch (long-poll) and partition offsets.
 * Produce takes the body unvalidated by Nest: parseProduceRequest checks it with a compiled
 * schema (see produce-request.schema.ts for why not class-validator here).
 */
import { Body, Controller, Get, Headers, HttpCode, Inject, Optional, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { SpoolError } from '@spool/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { HttpApiError } from '../errors/http-api.error.js';
import { parseProduceRequest } from '../../produce/produce-request.js';
import { appendedRecords, ProduceService } from '../../produce/produce.service.js';
import { PRODUCE_FORMATS, produceFormatsOf, READ_FORMATS, readFormatsOf } from '../../records/record-formats.js';
import { FetchResponseDto, PartitionOffsetsDto } from './fetch.dto.js';
import { FetchService, queryInt } from './fetch.service.js';
import { IdempotencyStore } from '../idempotency/idempotency.store.js';
import { JsonBodyBytes } from '../json-body.js';
import { NdjsonIngestService } from './ndjson-ingest.service.js';
import { NdjsonIngestSummaryDto, ProduceRecordDto, ProduceRequestDto, ProduceResponseDto } from './produce.dto.js';
import { serializeProduceResults } from './produce-response.js';
import { describeRevocation, SecurityError, type CredentialRevocation, type Identity } from '@spool/security';
import { AccessControl, DISABLED_ACCESS } from '../../security/access-control.js';
import { CurrentIdentity, noteRecords, RequireAcl, Throttle } from '../../security/http-auth.js';
import { TopicsService } from '../topics/topics.service.js';

const TOPIC_PARAM = { name: 'topic', description: 'Topic name', example: 'page-views' } as const;
const PARTITION_PARAM = { name: 'partition', description: 'Partition number', example: 0, schema: { type: 'integer', minimum: 0 } } as const;
const MAX_PARTITION = 2147483647;

function partitionParam(raw: string): number {
  const partition = queryInt(raw, 'partition', MAX_PARTITION);
  if (partition === undefined) throw new SpoolError('INVALID_REQUEST', 'partition is missing');
  return partition;
}

/** A fetch that names application/x-ndjson in Accept gets the page as NDJSON lines (fetch.service.ts). */
const NDJSON_ACCEPT = /(^|[\s,])application\/x-ndjson\b/i;

/** The 401 a long-poll ends with when its credential is revoked while it waits. */
function revokedError(revocation: CredentialRevocation): SecurityError {
  return new SecurityError('SASL_AUTHENTICATION_FAILED', `Authentication revoked: ${describeRevocation(revocation)}; retry with a valid credential`, 'revoked');
}

@ApiTags('records')
@ApiExtraModels(ProduceRecordDto)
@Controller('v1/topics/:topic')
export class RecordsController {
  constructor(
    private readonly produceService: ProduceService,
    private readonly fetchService: FetchService,
    private readonly ndjson: NdjsonIngestService,
    @Inject(IdempotencyStore) private readonly idempotency: IdempotencyStore,
    private readonly topics: TopicsService,
    @Optional() private readonly access: AccessControl = DISABLED_ACCESS,
  ) {}

  @Post('records')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'produce',
    summary: 'Produce records',
    description:
      'application/json: a batch, refused whole when malformed or too large; one result per record in request order. ' +
      'application/x-ndjson: one record object per line, streamed in chunks (not atomic across chunks), answered with a summary. ' +
      'Produce to an unknown topic creates it when auto.create.topics.enable is true.',
  })
  @ApiParam(TOPIC_PARAM)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'At most 255 characters. A retry with the same key and body (per topic, within the window, across broker restarts) returns the original results with idempotent-replayed: true and appends nothing; another body with the same key is 422 IDEMPOTENCY_KEY_REUSED. JSON bodies only.' })
  @ApiQuery({ name: 'keyFormat', required: false, enum: PRODUCE_FORMATS, description: 'NDJSON only (JSON bodies carry "keyFormat"): how keys are given. Default string.' })
  @ApiQuery({ name: 'valueFormat', required: false, enum: PRODUCE_FORMATS, description: 'NDJSON only (JSON bodies carry "valueFormat"): how values and header values are given. Default json.' })
  @ApiQuery({ name: 'format', required: false, enum: PRODUCE_FORMATS, description: 'NDJSON only: shorthand for valueFormat.' })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody({
    type: ProduceRequestDto,
    description: 'JSON: a ProduceRequest. NDJSON: one ProduceRecord per line (openapi.setup.ts documents that media type).',
    examples: {
      json: { value: { records: [{ key: 'user-42', value: { type: 'page_view', path: '/pricing' }, headers: { 'trace-id': '4bf92f3577b34da6' } }] } },
      binary: { value: { keyFormat: 'binary', valueFormat: 'binary', records: [{ key: 'dXNlci00Mg==', value: 'aGVsbG8=', partition: 0 }] } },
    },
  })
  @ApiOkResponse({
    description: 'Appended (acks=leader|all): ProduceResponse for JSON, NdjsonIngestSummary for NDJSON.',
    content: {
      'application/json': {
        schema: { oneOf: [{ $ref: getSchemaPath(ProduceResponseDto) }, { $ref: getSchemaPath(NdjsonIngestSummaryDto) }] },
      },
    },
  })
  @ApiExtraModels(ProduceResponseDto, NdjsonIngestSummaryDto)
  @ApiAcceptedResponse({ type: ProduceResponseDto, description: 'acks=none: accepted, appends in progress, results carry partitions only.' })
  @RequireAcl({ operation: 'WRITE', resourceType: 'TOPIC', from: 'topic' })
  @Throttle('produce')
  @ApiErrors(400, 401, 403, 404, 413, 415, 422, 429)
  async produce(
    @CurrentIdentity() identity: Identity,
    @Param('topic') topic: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | NdjsonIngestSummaryDto> {
    // Auto-creation needs what creating the topic needs (Kafka: CREATE on the cluster or topic).
    if (this.access.enabled && this.topics.existingForProduce(topic) === null) {
      this.access.checkMayCreateTopic(identity, topic);
      this.topics.checkTenantLimits(this.access, topic, { topics: 1 });
    }
    const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType === 'application/x-ndjson') {
      const summary = await this.ndjson.ingest(topic, body as Readable, produceFormatsOf(query, 'query parameter'));
      noteRecords(req, summary.recordCount);
      return summary;
    }
    if (mediaType !== 'application/json') {
      throw new HttpApiError('UNSUPPORTED_MEDIA_TYPE', `produce takes application/json or application/x-ndjson, not ${JSON.stringify(contentType ?? '')}`, {
        contentType: contentType ?? null,
      });
    }
    const key = idempotencyKey === '' ? undefined : idempotencyKey;
    if (body instanceof JsonBodyBytes && key === undefined) {
      // A large body, parsed and encoded in a produce worker (fastify-setup.ts).
      const { acks, results } = await this.produceService.produceJson(topic, body.bytes);
      noteRecords(req, appendedRecords(results));
      if (acks === 'none') reply.status(202);
      reply.header('content-type', 'application/json; charset=utf-8');
      return serializeProduceResults(results);
    }
    if (body instanceof JsonBodyBytes) body = body.parse();
    const request = parseProduceRequest(body, this.produceService.maxRecordsPerRequest);
    if (request.acks === 'none') reply.status(202);
    // Serialized here rather than by the framework: see produce-response.ts.
    reply.header('content-type', 'application/json; charset=utf-8');
    if (key === undefined) {
      const results = await this.produceService.produce(topic, request);
      noteRecords(req, appendedRecords(results));
      return serializeProduceResults(results);
    }
    if (key.length > 255) {
      throw new SpoolError('INVALID_REQUEST', `Idempotency-Key is ${key.length} characters; the limit is 255`, { field: 'Idempotency-Key' });
    }
    const { result, replayed } = await this.idempotency.run(topic, key, IdempotencyStore.fingerprint(body), () =>
      this.produceService.produce(topic, request),
    );
    if (replayed) reply.header('idempotent-replayed', 'true');
    // A replay appended nothing.
    else noteRecords(req, appendedRecords(result));
    return serializeProduceResults(result);
  }

  @Get('partitions/:partition/records')
  @ApiOperation({
    operationId: 'fetchRecords',
    summary: 'Fetch records (long-poll)',
    description:
      'Returns when records at `offset` exist or `waitMs` passes. With `Accept: application/x-ndjson` the answer is `application/x-ndjson` instead: one record object per line with `topic` and `partition` first (no envelope), and the envelope\'s offsets in the headers `spool-next-offset`, `spool-high-watermark` and `spool-log-start-offset`.',
  })
  @ApiParam(TOPIC_PARAM)
  @ApiParam(PARTITION_PARAM)
  @ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', minimum: 0 }, description: 'First offset to return; logStartOffset when absent.' })
  @ApiQuery({ name: 'maxRecords', required: false, schema: { type: 'integer', minimum: 1, maximum: 100000, default: 500 } })
  @ApiQuery({ name: 'maxBytes', required: false, schema: { type: 'integer', minimum: 1, default: 1048576 }, description: 'Soft limit: at least one whole batch is read.' })
  @ApiQuery({ name: 'waitMs', required: false, schema: { type: 'integer', minimum: 0, default: 0 }, description: 'Long-poll: how long to wait for records (clamped to the server maximum).' })
  @ApiQuery({ name: 'keyFormat', required: false, enum: READ_FORMATS, description: 'How keys are rendered; auto (default) never fails: JSON as JSON, other UTF-8 as a string, else base64 (keyEncoding says so).' })
  @ApiQuery({ name: 'valueFormat', required: false, enum: READ_FORMATS, description: 'How values (and header values) are rendered; auto by default, as for keys (valueEncoding, headerEncodings).' })
  @ApiQuery({ name: 'format', required: false, enum: READ_FORMATS, description: 'Shorthand for valueFormat.' })
  @ApiOkResponse({
    type: FetchResponseDto,
    headers: {
      'spool-next-offset': { description: 'With Accept: application/x-ndjson: the offset to fetch next (nextOffset).', schema: { type: 'integer' } },
      'spool-high-watermark': { description: 'With Accept: application/x-ndjson: the partition\'s highWatermark.', schema: { type: 'integer' } },
      'spool-log-start-offset': { description: 'With Accept: application/x-ndjson: the partition\'s logStartOffset.', schema: { type: 'integer' } },
    },
  })
  @RequireAcl({ operation: 'READ', resourceType: 'TOPIC', from: 'topic' })
  @Throttle('fetch')
  @ApiErrors(400, 401, 403, 404, 416, 429)
  async fetch(
    @Param('topic') topic: string,
    @Param('partition') partition: string,
    @Query() query: Record<string, unknown>,
    @CurrentIdentity() identity: Identity,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const params = {
      offset: queryInt(query.offset, 'offset'),
      maxRecords: queryInt(query.maxRecords, 'maxRecords', 100_000) ?? 500,
      maxBytes: queryInt(query.maxBytes, 'maxBytes') ?? 1_048_576,
      waitMs: queryInt(query.waitMs, 'waitMs') ?? 0,
      formats: readFormatsOf(query, 'query parameter'),
    };
    if (params.maxRecords < 1) throw new SpoolError('INVALID_REQUEST', 'maxRecords must be at least 1', { field: 'maxRecords' });
    if (params.maxBytes < 1) throw new SpoolError('INVALID_REQUEST', 'maxBytes must be at least 1', { field: 'maxBytes' });
    const partitionNumber = partitionParam(partition);
    // The client going away (socket closed) ends a long-poll early.
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    // A long-poll holds a connection open while it waits, as a Kafka Fetch does on a counted Kafka
    // connection: it counts toward the principal's and tenant's max_connections (429, reason
    // connection-limit, when they are at it), and a revocation of its credential ends it (401) so
    // it cannot deliver after the revocation. A fetch that does not wait is not counted.
    let revokedBy = null as CredentialRevocation | null;
    let release = (): void => undefined;
    if (params.waitMs > 0) {
      const lease = this.access.acquireConnection(identity);
      const stopWatching = this.access.onRevocation((revocation) => {
        if (!AccessControl.revokes(revocation, identity)) return;
        revokedBy = revocation;
        gone.abort();
      });
      release = () => {
        stopWatching();
        lease.release();
      };
    }
    req.raw.socket?.once('close', onClose);
    try {
      if (NDJSON_ACCEPT.test(req.headers.accept ?? '')) {
        const page = await this.fetchService.fetchNdjson(topic, partitionNumber, params, gone);
        if (revokedBy !== null) throw revokedError(revokedBy);
        noteRecords(req, page.records);
        reply.header('content-type', 'application/x-ndjson; charset=utf-8');
        reply.header('spool-next-offset', String(page.nextOffset));
        reply.header('spool-high-watermark', String(page.highWatermark));
        reply.header('spool-log-start-offset', String(page.logStartOffset));
        return page.body;
      }
      const { body, records } = await this.fetchService.fetchCounted(topic, partitionNumber, params, gone);
      if (revokedBy !== null) throw revokedError(revokedBy);
      noteRecords(req, records);
      // The document is built as bytes by the records layer (stored JSON is not re-parsed).
      reply.header('content-type', 'application/json; charset=utf-8');
      return body;
    } finally {
      req.raw.socket?.off('close', onClose);
      release();
    }
  }

  @Get('partitions/:partition/offsets')
  @ApiOperation({ operationId: 'listOffsets', summary: 'Earliest, latest and by-timestamp offsets of a partition' })
  @ApiParam(TOPIC_PARAM)
  @ApiParam(PARTITION_PARAM)
  @ApiQuery({ name: 'timestamp', required: false, schema: { type: 'integer', minimum: 0 }, description: 'Also find the first offset whose timestamp is >= this (ms since the epoch).' })
  @ApiOkResponse({ type: PartitionOffsetsDto })
  @RequireAcl({ operation: 'DESCRIBE', resourceType: 'TOPIC', from: 'topic' })
  @ApiErrors(400, 401, 403, 404)
  offsets(@Param('topic') topic: string, @Param('partition') partition: string, @Query('timestamp') timestamp: unknown): Promise<PartitionOffsetsDto> {
    return this.fetchService.offsets(topic, partitionParam(partition), queryInt(timestamp, 'timestamp'));
  }
}
