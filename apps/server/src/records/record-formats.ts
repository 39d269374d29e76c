/**
 * Record formats: how keys, values and header values travel in JSON (HTTP bodies, WebSocket
 * frames, SSE events), the same on every face. Keys and values have separate formats
 * (`keyFormat`, `valueFormat`); `format` is a shorthand for `valueFormat`. Header values follow
 * the value format (base64 when it is binary, else strings).
 *
 * Producing (JSON -> stored bytes, record-encoding.ts):
 *
 *   string   a JSON string, stored as its UTF-8 bytes. The key default: a key "user-42" is stored
 *            as the 7 bytes user-42, what a Kafka client sends for the same key, so it lands on
 *            the same partition (murmur2 of the same bytes). A non-string JSON key (42, {...}) is
 *            stored as its JSON text.
 *   json     any JSON value, stored as its UTF-8 JSON text. The value default.
 *   binary   standard padded base64, stored as the decoded bytes.
 *
 * Reading (stored bytes -> JSON, record-renderer.ts): the four above plus `auto`, the default,
 * which never fails: well-formed UTF-8 JSON comes out as that JSON, other UTF-8 as a string,
 * anything else as base64 with `keyEncoding` / `valueEncoding` / `headerEncodings` saying so. An
 * explicit format that does not fit the stored bytes (json on non-JSON, string on non-UTF-8)
 * renders that field as base64 with the marker and gives the record an `error`; the rest of the
 * batch or stream goes on.
 */
import { SpoolError } from '@spool/common';

export const PRODUCE_FORMATS = ['json', 'string', 'binary'] as const;
export type ProduceFormat = (typeof PRODUCE_FORMATS)[number];

export const READ_FORMATS = ['auto', 'json', 'string', 'binary'] as const;
export type ReadFormat = (typeof READ_FORMATS)[number];

export interface ProduceFormats {
  readonly key: ProduceFormat;
  readonly value: ProduceFormat;
}

export interface ReadFormats {
  readonly key: ReadFormat;
  readonly value: ReadFormat;
}

export const DEFAULT_PRODUCE_FORMATS: ProduceFormats = { key: 'string', value: 'json' };
export const DEFAULT_READ_FORMATS: ReadFormats = { key: 'auto', value: 'auto' };

/** Where formats were given: names the fields in errors ("query parameter keyFormat", "keyFormat"). */
export type FormatSource = 'query parameter' | 'field';

/** The three format fields of a request (query, body or frame), unchecked. */
export interface FormatFields {
  readonly keyFormat?: unknown;
  readonly valueFormat?: unknown;
  readonly format?: unknown;
}

function pick<T extends string>(raw: unknown, allowed: readonly T[], name: string, source: FormatSource): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  throw new SpoolError('INVALID_REQUEST', `${source} ${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`, { field: name });
}

function valueOf<T extends string>(fields: FormatFields, allowed: readonly T[], source: FormatSource): T | undefined {
  const value = pick(fields.valueFormat, allowed, 'valueFormat', source);
  const shorthand = pick(fields.format, allowed, 'format', source);
  if (value !== undefined && shorthand !== undefined && value !== shorthand) {
    throw new SpoolError('INVALID_REQUEST', `format is a shorthand for valueFormat: got format=${shorthand} and valueFormat=${value}; give one`, { field: 'format' });
  }
  return value ?? shorthand;
}

export function produceFormatsOf(fields: FormatFields, source: FormatSource): ProduceFormats {
  return {
    key: pick(fields.keyFormat, PRODUCE_FORMATS, 'keyFormat', source) ?? DEFAULT_PRODUCE_FORMATS.key,
    value: valueOf(fields, PRODUCE_FORMATS, source) ?? DEFAULT_PRODUCE_FORMATS.value,
  };
}

export function readFormatsOf(fields: FormatFields, source: FormatSource): ReadFormats {
  return {
    key: pick(fields.keyFormat, READ_FORMATS, 'keyFormat', source) ?? DEFAULT_READ_FORMATS.key,
    value: valueOf(fields, READ_FORMATS, source) ?? DEFAULT_READ_FORMATS.value,
  };
}

/** Identifies a rendering (shared reads only share between feeds that render alike). */
export function readFormatsKey(formats: ReadFormats): string {
  return `${formats.key}/${formats.value}`;
}
