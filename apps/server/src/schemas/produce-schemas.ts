/**
 * Schemas on the JSON faces' produce path (HTTP JSON and NDJSON, WebSocket), applied by
 * ProduceService before partitioning.
 *
 * A request may name schemas (`keySchema`, `valueSchema`: {subject?, version?, messageName?},
 * defaults `<topic>-key`/`<topic>-value`, the latest version, the Protobuf file's first message):
 * its JSON (or string) keys / values are encoded with that schema, on any topic. On a topic that
 * validates the part, the named schema's id must also be one of the topic subject's (else 422
 * SCHEMA_VALIDATION_FAILED before any record is looked at), as the Kafka face requires.
 *
 * Without a named schema, a topic with `confluent.key.schema.validation` /
 * `confluent.value.schema.validation` set gets:
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
import { SpoolError } from '@spool/common';
import { encodeWirePrefix, SchemaRegistryError, type ParsedSchema } from '@spool/schema-registry';
import { HttpApiError } from '../http/errors/http-api.error.js';
import type { PreparedHeader, PreparedRecord, SchemaChoice } from '../produce/produce-request.js';
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

/** How one part (key or value) of a request's records is treated. */
interface PartPlan {
  readonly part: SchemaPart;
  readonly format: ProduceFormat;
  /** The subject failures are reported against. */
  readonly subject: string;
  /** Encode JSON / string fields with this schema. */
  readonly encode?: { readonly id: number; readonly parsed: ParsedSchema; readonly messageName?: string };
  /** Binary fields: check the wire prefix against the topic's subject. */
  readonly check: boolean;
}

/**
 * The records with keys / values encoded or checked as the request (`chosen`: keySchema,
 * valueSchema) and the topic (`validation`) ask; see the top of the file. Unchanged when neither
 * asks anything. Throws HttpApiError SCHEMA_VALIDATION_FAILED / SCHEMA_NOT_FOUND.
 */
export function applySchemas(
  schemas: TopicSchemas,
  topic: string,
  records: readonly PreparedRecord[],
  formats: ProduceFormats,
  validation: { key: boolean; value: boolean } | null,
  chosen: { key?: SchemaChoice; value?: SchemaChoice } | undefined,
): PreparedRecord[] {
  const plans: PartPlan[] = [];
  for (const part of ['key', 'value'] as const) {
    const plan = planFor(schemas, topic, part, part === 'key' ? formats.key : formats.value, validation?.[part] === true, chosen?.[part]);
    if (plan !== null) plans.push(plan);
  }
  if (plans.length === 0) return records as PreparedRecord[];
  const failures: RecordSchemaFailure[] = [];
  const out = records.slice();
  for (let i = 0; i < out.length && failures.length < MAX_REPORTED_RECORDS; i++) {
    let record = out[i];
    for (const plan of plans) {
      const bytes = plan.part === 'key' ? record.key : record.value;
      if (bytes === null) continue;
      if (plan.encode === undefined) {
        const problem = plan.check ? schemas.checkBytes(topic, plan.part, bytes) : null;
        if (problem !== null) failures.push({ index: i, part: plan.part, subject: plan.subject, issues: [{ path: '', message: problem }] });
        continue;
      }
      const json: unknown = plan.format === 'string' ? bytes.toString('utf8') : JSON.parse(bytes.toString('utf8'));
      try {
        const encoded = Buffer.concat([encodeWirePrefix(plan.encode.id), plan.encode.parsed.encodeJson(json, plan.encode.messageName)]);
        record = plan.part === 'key' ? { ...record, key: encoded } : { ...record, value: encoded, headers: withoutTextMarker(record.headers, plan.format) };
      } catch (err) {
        if (!(err instanceof SchemaRegistryError) || err.code !== 'INVALID_RECORD') throw err;
        failures.push({ index: i, part: plan.part, subject: plan.subject, issues: (err.details.issues as RecordSchemaFailure['issues'] | undefined) ?? [{ path: '', message: err.message }] });
      }
    }
    out[i] = record;
  }
  if (failures.length > 0) throw validationFailed(topic, failures);
  return out;
}

function planFor(schemas: TopicSchemas, topic: string, part: SchemaPart, format: ProduceFormat, validates: boolean, choice: SchemaChoice | undefined): PartPlan | null {
  if (choice === undefined && !validates) return null;
  const topicSubject = subjectOf(topic, part);
  if (format === 'binary') return { part, format, subject: topicSubject, check: validates };
  const subject = choice?.subject ?? topicSubject;
  const version = choice?.version ?? 'latest';
  let id: number;
  let parsed: ParsedSchema;
  try {
    id = schemas.registry.version(subject, version).id;
    parsed = schemas.registry.parsedById(id);
  } catch (err) {
    if (!(err instanceof SchemaRegistryError) || err.httpStatus !== 404) throw err;
    const why = validates && choice === undefined ? `topic ${JSON.stringify(topic)} validates its ${part}s (confluent.${part}.schema.validation=true) but ` : '';
    throw new HttpApiError('SCHEMA_NOT_FOUND', `${why}subject ${JSON.stringify(subject)} has no ${version === 'latest' ? 'live version' : `version ${version}`}`, { topic, subject, version });
  }
  if (validates && !schemas.registry.state.versions(topicSubject, false).some((v) => v.id === id)) {
    throw new HttpApiError('SCHEMA_VALIDATION_FAILED', `${part}Schema names schema id ${id} (subject ${JSON.stringify(subject)}), which is not registered under ${JSON.stringify(topicSubject)}: topic ${JSON.stringify(topic)} validates its ${part}s against that subject`, {
      topic,
      subject: topicSubject,
      schemaId: id,
      records: [],
    });
  }
  if (choice?.messageName !== undefined && parsed.schemaType !== 'PROTOBUF') {
    throw new SpoolError('INVALID_REQUEST', `invalid produce request: ${part}Schema.messageName applies to PROTOBUF schemas; subject ${JSON.stringify(subject)} is ${parsed.schemaType}`, { field: `${part}Schema.messageName` });
  }
  return { part, format, subject, encode: { id, parsed, messageName: choice?.messageName }, check: false };
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
