/**
 * A JSON produce request, the same on every face that takes one (HTTP JSON body, NDJSON lines,
 * WebSocket produce frames): `{ records: [{ key?, value, headers?, partition?, timestamp? }],
 * acks?, keyFormat?, valueFormat?, format? }`.
 *
 * Validation on the hot path: a JSON Schema compiled once by Ajv checks the shape (types,
 * required fields, no unknown fields), then one pass converts each record to bytes by its
 * formats (record-encoding.ts), which also checks what a schema cannot (base64, strings per
 * format). Any violation refuses the whole request: nothing is appended. Limits come first, so
 * an oversized request costs no validation.
 *
 * Values produced with valueFormat=string or binary get a `content-type` header (text/plain;
 * charset=utf-8 or application/octet-stream) unless the record names one itself, so that
 * readers can tell them from JSON (records/content-type.ts). JSON values get none.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { SpoolError } from '@spool/common';
import { CONTENT_TYPE_HEADER, OCTET_STREAM, TEXT_PLAIN_UTF8 } from '../records/content-type.js';
import { PRODUCE_FORMATS, produceFormatsOf, type ProduceFormat, type ProduceFormats } from '../records/record-formats.js';
import { encodeHeaderValue, encodeKey, encodeValue } from './record-encoding.js';

export const ACKS = ['none', 'leader', 'all'] as const;
export type Acks = (typeof ACKS)[number];

export interface PreparedHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

/** A record ready to be put in a batch. */
export interface PreparedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly PreparedHeader[];
  readonly partition: number | undefined;
  readonly timestamp: number | undefined;
}

/**
 * A registered schema to encode JSON keys or values with (schemas/produce-schemas.ts): `subject`
 * (default `<topic>-key` / `<topic>-value`), `version` (default the latest), `messageName` (a
 * Protobuf message's full name; default the file's first).
 */
export interface SchemaChoice {
  readonly subject?: string;
  readonly version?: number | 'latest';
  readonly messageName?: string;
}

export interface ProduceRequest {
  readonly records: PreparedRecord[];
  readonly acks: Acks;
  readonly formats: ProduceFormats;
  /** Schemas named by the request (keySchema, valueSchema); absent: the topic's own rules. */
  readonly schemas?: { readonly key?: SchemaChoice; readonly value?: SchemaChoice };
}

const SCHEMA_CHOICE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    subject: { type: 'string', minLength: 1, maxLength: 255 },
    version: { anyOf: [{ type: 'integer', minimum: 1, maximum: 2147483647 }, { const: 'latest' }] },
    messageName: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

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
    keyFormat: { enum: [...PRODUCE_FORMATS] },
    valueFormat: { enum: [...PRODUCE_FORMATS] },
    format: { enum: [...PRODUCE_FORMATS] },
    keySchema: SCHEMA_CHOICE_SCHEMA,
    valueSchema: SCHEMA_CHOICE_SCHEMA,
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

const NO_HEADERS: readonly PreparedHeader[] = [];
/** The content-type header a value format adds (shared, never mutated), or null for json. */
const MARKER: Record<ProduceFormat, PreparedHeader | null> = {
  json: null,
  string: { key: CONTENT_TYPE_HEADER, value: Buffer.from(TEXT_PLAIN_UTF8, 'latin1') },
  binary: { key: CONTENT_TYPE_HEADER, value: Buffer.from(OCTET_STREAM, 'latin1') },
};
const MARKER_ONLY: Record<ProduceFormat, readonly PreparedHeader[]> = {
  json: NO_HEADERS,
  string: [MARKER.string!],
  binary: [MARKER.binary!],
};

/**
 * Converts one shape-checked record; `where` names it in errors ("records[3]", "line 7") and is
 * called only when there is one (this runs once per record on the hot path).
 */
export function prepareRecord(raw: RawRecord, formats: ProduceFormats, where: () => string): PreparedRecord {
  const value = encodeValue(raw.value, formats.value, () => `${where()}.value`);
  const marker = value === null ? null : MARKER[formats.value];
  let headers: readonly PreparedHeader[] = marker === null ? NO_HEADERS : MARKER_ONLY[formats.value];
  if (raw.headers !== undefined) {
    const list: PreparedHeader[] = [];
    let named = false;
    for (const name of Object.keys(raw.headers)) {
      list.push({ key: name, value: encodeHeaderValue(raw.headers[name], formats.value, () => `${where()}.headers.${name}`) });
      if (name.length === CONTENT_TYPE_HEADER.length && name.toLowerCase() === CONTENT_TYPE_HEADER) named = true;
    }
    if (marker !== null && !named) list.push(marker);
    headers = list;
  }
  return {
    key: raw.key === undefined || raw.key === null ? null : encodeKey(raw.key, formats.key, () => `${where()}.key`),
    value,
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
  const request = body as { records: RawRecord[]; acks?: Acks; keyFormat?: ProduceFormat; valueFormat?: ProduceFormat; format?: ProduceFormat; keySchema?: SchemaChoice; valueSchema?: SchemaChoice };
  const formats = produceFormatsOf(request, 'field');
  const records = new Array<PreparedRecord>(request.records.length);
  for (let i = 0; i < records.length; i++) records[i] = prepareRecord(request.records[i], formats, () => `records[${i}]`);
  if (request.keySchema === undefined && request.valueSchema === undefined) return { records, acks: request.acks ?? 'all', formats };
  for (const [part, choice, format] of [['keySchema', request.keySchema, formats.key], ['valueSchema', request.valueSchema, formats.value]] as const) {
    if (choice !== undefined && format === 'binary') {
      throw new SpoolError('INVALID_REQUEST', `invalid produce request: ${part} encodes JSON; it cannot be used with ${part === 'keySchema' ? 'keyFormat' : 'valueFormat'}=binary`, { field: part });
    }
  }
  return { records, acks: request.acks ?? 'all', formats, schemas: { key: request.keySchema, value: request.valueSchema } };
}
