/**
 * Validation of a JSON produce request on the hot path: a JSON Schema compiled once by Ajv
 * checks the shape (types, required fields, no unknown fields), then one pass converts each
 * record to bytes by its format (record-format.ts), which also checks what a schema cannot
 * (base64, strings per format). Any violation refuses the whole request: nothing is appended.
 * Limits come first, so an oversized request costs no validation.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { SpoolError } from '@spool/common';
import { ACKS, type Acks } from './produce.dto.js';
import { encodeData, encodeHeaderValue, RECORD_FORMATS, type RecordFormat } from './record-format.js';

/** A record ready to be put in a batch. */
export interface PreparedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Array<{ key: string; value: Buffer | null }>;
  readonly partition: number | undefined;
  readonly timestamp: number | undefined;
}

export interface ProduceRequest {
  readonly records: PreparedRecord[];
  readonly acks: Acks;
  readonly format: RecordFormat;
}

/** The record schema, shared with NDJSON ingest (one such object per line). */
export const PRODUCE_RECORD_SCHEMA = {
  type: 'object',
  required: ['value'],
  additionalProperties: false,
  properties: {
    key: {},
    value: {},
    headers: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
    partition: { type: 'integer', minimum: 0, maximum: 2147483647 },
    timestamp: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  },
} as const;

export const PRODUCE_REQUEST_SCHEMA = {
  type: 'object',
  required: ['records'],
  additionalProperties: false,
  properties: {
    records: { type: 'array', minItems: 1, items: PRODUCE_RECORD_SCHEMA },
    acks: { enum: [...ACKS] },
    format: { enum: [...RECORD_FORMATS] },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
export const validateProduceShape = ajv.compile(PRODUCE_REQUEST_SCHEMA);
export const validateRecordShape = ajv.compile(PRODUCE_RECORD_SCHEMA);

export function schemaViolation(errors: ErrorObject[] | null | undefined, prefix = ''): SpoolError {
  const first = errors?.[0];
  // "/records/3/value" -> "records[3].value", the naming the format errors use too
  const path = (first?.instancePath ?? '').replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
  const where = prefix ? `${prefix}${path}` : path.replace(/^\./, '') || 'body';
  const detail = first?.keyword === 'additionalProperties'
    ? `has unknown field ${JSON.stringify((first.params as { additionalProperty: string }).additionalProperty)}`
    : (first?.message ?? 'is invalid');
  return new SpoolError('INVALID_REQUEST', `invalid produce request: ${where} ${detail}`, {
    field: where,
    ...(first?.params ? { rule: first.keyword, params: first.params } : {}),
  });
}

interface RawRecord {
  key?: unknown;
  value: unknown;
  headers?: Record<string, string | null>;
  partition?: number;
  timestamp?: number;
}

const NO_HEADERS: Array<{ key: string; value: Buffer | null }> = [];

/**
 * Converts one shape-checked record; `where` names it in errors ("records[3]", "line 7") and is
 * called only when there is one (this runs once per record on the hot path).
 */
export function prepareRecord(raw: RawRecord, format: RecordFormat, where: () => string): PreparedRecord {
  let headers = NO_HEADERS;
  if (raw.headers !== undefined) {
    headers = [];
    for (const name of Object.keys(raw.headers)) {
      headers.push({ key: name, value: encodeHeaderValue(raw.headers[name], format, () => `${where()}.headers.${name}`) });
    }
  }
  return {
    key: raw.key === undefined || raw.key === null ? null : encodeData(raw.key, format, () => `${where()}.key`),
    value: encodeData(raw.value, format, () => `${where()}.value`),
    headers,
    partition: raw.partition,
    timestamp: raw.timestamp,
  };
}

/** Checks limits, shape and formats of a parsed JSON body; throws on the first problem. */
export function parseProduceRequest(body: unknown, maxRecordsPerRequest: number): ProduceRequest {
  if (typeof body === 'object' && body !== null && Array.isArray((body as { records?: unknown }).records)) {
    const count = (body as { records: unknown[] }).records.length;
    if (count > maxRecordsPerRequest) {
      throw new SpoolError('RECORD_LIST_TOO_LARGE', `the request has ${count} records; the limit is ${maxRecordsPerRequest} per request`, {
        recordCount: count,
        limit: maxRecordsPerRequest,
      });
    }
  }
  if (!validateProduceShape(body)) throw schemaViolation(validateProduceShape.errors);
  const request = body as { records: RawRecord[]; acks?: Acks; format?: RecordFormat };
  const format = request.format ?? 'json';
  const records = new Array<PreparedRecord>(request.records.length);
  for (let i = 0; i < records.length; i++) records[i] = prepareRecord(request.records[i], format, () => `records[${i}]`);
  return { records, acks: request.acks ?? 'leader', format };
}
