/**
 * Schema validation on the JSON faces' produce path (HTTP JSON and NDJSON, WebSocket), applied by
 * ProduceService before partitioning when the topic has `confluent.key.schema.validation` or
 * `confluent.value.schema.validation` set:
 *
 *   keyFormat / valueFormat json    the JSON value is encoded with the latest schema of
 *                                   `<topic>-key` / `<topic>-value` (Avro binary, Protobuf, or JSON
 *                                   text, behind the 5-byte wire prefix): the record is stored as a
 *                                   Confluent serializer would have written it, so Kafka consumers
 *                                   with a Confluent deserializer read it unmodified.
 *   string                          the same, for the string itself.
 *   binary                          the bytes must already carry the wire prefix with an id
 *                                   registered under the subject (as on the Kafka face).
 *
 * Null keys and values (tombstones) pass. The whole request is refused when any record fails
 * (nothing appended): 422 SCHEMA_VALIDATION_FAILED with every failing record (up to 100) and its
 * issues `{ path, message }` (a JSON pointer into the record's key or value), or 422
 * SCHEMA_NOT_FOUND when the subject has no live version. Keys are encoded before partitioning, so
 * a keyed record lands where a Kafka producer sending the same serialized key would put it.
 * An encoded string value loses the `content-type: text/plain` marker the string format adds: its
 * bytes are no longer text.
 */
import { SchemaRegistryError } from '@spool/schema-registry';
import { HttpApiError } from '../http/errors/http-api.error.js';
import type { PreparedHeader, PreparedRecord } from '../produce/produce-request.js';
import { CONTENT_TYPE_HEADER, TEXT_PLAIN_UTF8 } from '../records/content-type.js';
import type { ProduceFormat, ProduceFormats } from '../records/record-formats.js';
import { subjectOf, type SchemaPart, type TopicSchemas } from './topic-schemas.js';

const MAX_REPORTED_RECORDS = 100;

/** A record that does not pass, as the 422's details list it. */
export interface RecordSchemaFailure {
  /** The record's position in the request (its line, for NDJSON: the caller's numbering). */
  readonly index: number;
  readonly part: SchemaPart;
  readonly subject: string;
  readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}

/** Whether the topic's configs (effective, as strings) ask for validation of either part. */
export function validatesSchemas(configs: Readonly<Record<string, string>>): { key: boolean; value: boolean } | null {
  const key = configs['confluent.key.schema.validation'] === 'true';
  const value = configs['confluent.value.schema.validation'] === 'true';
  return key || value ? { key, value } : null;
}

/**
 * The records with keys / values encoded or checked as the topic asks (see the top of the file).
 * Throws HttpApiError SCHEMA_VALIDATION_FAILED / SCHEMA_NOT_FOUND.
 */
export function applyTopicSchemas(
  schemas: TopicSchemas,
  topic: string,
  records: readonly PreparedRecord[],
  formats: ProduceFormats,
  validation: { key: boolean; value: boolean },
): PreparedRecord[] {
  const failures: RecordSchemaFailure[] = [];
  const parts: SchemaPart[] = [];
  if (validation.key) parts.push('key');
  if (validation.value) parts.push('value');
  for (const part of parts) {
    const subject = subjectOf(topic, part);
    if (schemas.registry.state.versions(subject, false).length === 0) {
      throw new HttpApiError('SCHEMA_NOT_FOUND', `topic ${JSON.stringify(topic)} validates its ${part}s (confluent.${part}.schema.validation=true) but subject ${JSON.stringify(subject)} has no schema`, { topic, subject });
    }
  }
  const out = records.slice();
  for (let i = 0; i < out.length && failures.length < MAX_REPORTED_RECORDS; i++) {
    let record = out[i];
    for (const part of parts) {
      const subject = subjectOf(topic, part);
      const bytes = part === 'key' ? record.key : record.value;
      if (bytes === null) continue;
      const format: ProduceFormat = part === 'key' ? formats.key : formats.value;
      if (format === 'binary') {
        const problem = schemas.checkBytes(topic, part, bytes);
        if (problem !== null) failures.push({ index: i, part, subject, issues: [{ path: '', message: problem }] });
        continue;
      }
      const json: unknown = format === 'string' ? bytes.toString('utf8') : JSON.parse(bytes.toString('utf8'));
      try {
        const encoded = schemas.encodeJson(subject, 'latest', json).bytes;
        record = part === 'key' ? { ...record, key: encoded } : { ...record, value: encoded, headers: withoutTextMarker(record.headers, format) };
      } catch (err) {
        if (!(err instanceof SchemaRegistryError) || err.code !== 'INVALID_RECORD') throw err;
        failures.push({ index: i, part, subject, issues: (err.details.issues as RecordSchemaFailure['issues'] | undefined) ?? [{ path: '', message: err.message }] });
      }
    }
    out[i] = record;
  }
  if (failures.length > 0) throw validationFailed(topic, failures);
  return out;
}

function withoutTextMarker(headers: readonly PreparedHeader[], format: ProduceFormat): readonly PreparedHeader[] {
  if (format !== 'string') return headers;
  return headers.filter((h) => !(h.key === CONTENT_TYPE_HEADER && h.value !== null && h.value.toString('latin1') === TEXT_PLAIN_UTF8));
}

export function validationFailed(topic: string, failures: readonly RecordSchemaFailure[]): HttpApiError {
  const first = failures[0];
  const firstIssue = first.issues[0];
  const where = `records[${first.index}].${first.part}${firstIssue?.path ?? ''}`;
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more record${failures.length > 2 ? 's' : ''})` : '';
  return new HttpApiError('SCHEMA_VALIDATION_FAILED', `${where}: ${firstIssue?.message ?? 'does not match the schema'} (subject ${JSON.stringify(first.subject)})${more}`, {
    topic,
    records: failures.map((f) => ({ index: f.index, part: f.part, subject: f.subject, issues: f.issues })),
  });
}
