/**
 * Records of the compacted topic `_schemas`, the registry's truth, in Confluent Schema Registry's
 * own format (so a reader of one can read the other). Keys and values are UTF-8 JSON; the key
 * names what the record is about, so compaction keeps the latest record per key:
 *
 *   key {"keytype":"SCHEMA","subject":S,"version":V,"magic":1}
 *     value {"subject":S,"version":V,"id":ID,"schemaType":T,"references":[...],"schema":TEXT,"deleted":B}
 *           (schemaType omitted for AVRO, references when empty); null = the version is deleted
 *           permanently
 *   key {"keytype":"CONFIG","subject":S|null,"magic":0}   value {"compatibilityLevel":L} | null
 *   key {"keytype":"MODE","subject":S|null,"magic":0}     value {"mode":M} | null
 *   key {"keytype":"DELETE_SUBJECT","subject":S,"magic":0} value {"subject":S,"version":V}
 *     (Confluent's marker: versions <= V are soft-deleted; read, never written by Spool)
 *   key {"keytype":"CLEAR_SUBJECT","subject":S,"magic":0}  value {"subject":S}
 *     (Confluent's marker: soft-deleted versions are gone; read, never written by Spool)
 *   key {"keytype":"NOOP","magic":0}                       value null (ignored)
 *   key {"keytype":"SPOOL_MAX_ID","magic":0}               value {"maxId":N}
 *     (Spool's addition, written before a permanent delete removes the highest id ever given, so
 *     that compaction can never make an id be given twice)
 *
 * A record that does not decode is skipped by the reader (and logged), never fatal: the topic is
 * shared with whatever else writes to it.
 */
import { isSchemaType, isCompatibilityLevel, isMode, type CompatibilityLevel, type Mode, type SchemaReference, type SchemaType } from './schema-types.js';

export type SchemasTopicRecord =
  | { readonly keytype: 'SCHEMA'; readonly subject: string; readonly version: number; readonly value: SchemaValue | null }
  | { readonly keytype: 'CONFIG'; readonly subject: string | null; readonly value: { readonly compatibilityLevel: CompatibilityLevel } | null }
  | { readonly keytype: 'MODE'; readonly subject: string | null; readonly value: { readonly mode: Mode } | null }
  | { readonly keytype: 'DELETE_SUBJECT'; readonly subject: string; readonly version: number }
  | { readonly keytype: 'CLEAR_SUBJECT'; readonly subject: string }
  | { readonly keytype: 'NOOP' }
  | { readonly keytype: 'SPOOL_MAX_ID'; readonly maxId: number };

export interface SchemaValue {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schemaType: SchemaType;
  readonly references: readonly SchemaReference[];
  readonly schema: string;
  readonly deleted: boolean;
}

export interface EncodedRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

export function encodeSchemasTopicRecord(record: SchemasTopicRecord): EncodedRecord {
  switch (record.keytype) {
    case 'SCHEMA': {
      const key = json({ keytype: 'SCHEMA', subject: record.subject, version: record.version, magic: 1 });
      if (record.value === null) return { key, value: null };
      const v = record.value;
      return {
        key,
        value: json({
          subject: v.subject,
          version: v.version,
          id: v.id,
          ...(v.schemaType !== 'AVRO' && { schemaType: v.schemaType }),
          ...(v.references.length > 0 && { references: v.references }),
          schema: v.schema,
          deleted: v.deleted,
        }),
      };
    }
    case 'CONFIG':
      return { key: json({ keytype: 'CONFIG', subject: record.subject, magic: 0 }), value: record.value === null ? null : json(record.value) };
    case 'MODE':
      return { key: json({ keytype: 'MODE', subject: record.subject, magic: 0 }), value: record.value === null ? null : json(record.value) };
    case 'DELETE_SUBJECT':
      return { key: json({ keytype: 'DELETE_SUBJECT', subject: record.subject, magic: 0 }), value: json({ subject: record.subject, version: record.version }) };
    case 'CLEAR_SUBJECT':
      return { key: json({ keytype: 'CLEAR_SUBJECT', subject: record.subject, magic: 0 }), value: json({ subject: record.subject }) };
    case 'NOOP':
      return { key: json({ keytype: 'NOOP', magic: 0 }), value: null };
    case 'SPOOL_MAX_ID':
      return { key: json({ keytype: 'SPOOL_MAX_ID', magic: 0 }), value: json({ maxId: record.maxId }) };
  }
}

class Undecodable extends Error {}

function parse(bytes: Uint8Array, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new Undecodable(`the ${what} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Undecodable(`the ${what} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

function text(object: Record<string, unknown>, field: string): string {
  const value = object[field];
  if (typeof value !== 'string') throw new Undecodable(`${field} is not a string`);
  return value;
}

function positive(object: Record<string, unknown>, field: string): number {
  const value = object[field];
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw new Undecodable(`${field} is not a positive integer`);
  return value as number;
}

function optionalSubject(object: Record<string, unknown>): string | null {
  return object.subject === null || object.subject === undefined ? null : text(object, 'subject');
}

function references(value: unknown): SchemaReference[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Undecodable('references is not an array');
  return value.map((r: Record<string, unknown>) => ({ name: text(r, 'name'), subject: text(r, 'subject'), version: positive(r, 'version') }));
}

/** Decodes one record; throws an Error naming what is wrong when it is not one of the records above. */
export function decodeSchemasTopicRecord(keyBytes: Uint8Array, valueBytes: Uint8Array | null): SchemasTopicRecord {
  const key = parse(keyBytes, 'key');
  const value = valueBytes === null ? null : parse(valueBytes, 'value');
  switch (key.keytype) {
    case 'SCHEMA': {
      const subject = text(key, 'subject');
      const version = positive(key, 'version');
      if (value === null) return { keytype: 'SCHEMA', subject, version, value: null };
      const schemaType = value.schemaType === undefined || value.schemaType === null ? 'AVRO' : value.schemaType;
      if (!isSchemaType(schemaType)) throw new Undecodable(`schemaType ${JSON.stringify(schemaType)} is not AVRO, JSON or PROTOBUF`);
      return {
        keytype: 'SCHEMA',
        subject,
        version,
        value: { subject, version, id: positive(value, 'id'), schemaType, references: references(value.references), schema: text(value, 'schema'), deleted: value.deleted === true },
      };
    }
    case 'CONFIG': {
      const level = value?.compatibilityLevel ?? value?.compatibility;
      if (value !== null && !isCompatibilityLevel(level)) throw new Undecodable(`compatibilityLevel ${JSON.stringify(level)} is not a compatibility level`);
      return { keytype: 'CONFIG', subject: optionalSubject(key), value: value === null ? null : { compatibilityLevel: level as CompatibilityLevel } };
    }
    case 'MODE':
      if (value !== null && !isMode(value.mode)) throw new Undecodable(`mode ${JSON.stringify(value.mode)} is not a mode`);
      return { keytype: 'MODE', subject: optionalSubject(key), value: value === null ? null : { mode: value.mode as Mode } };
    case 'DELETE_SUBJECT':
      if (value === null) throw new Undecodable('a DELETE_SUBJECT record has no value');
      return { keytype: 'DELETE_SUBJECT', subject: text(key, 'subject'), version: positive(value, 'version') };
    case 'CLEAR_SUBJECT':
      return { keytype: 'CLEAR_SUBJECT', subject: text(key, 'subject') };
    case 'NOOP':
      return { keytype: 'NOOP' };
    case 'SPOOL_MAX_ID':
      if (value === null) throw new Undecodable('a SPOOL_MAX_ID record has no value');
      return { keytype: 'SPOOL_MAX_ID', maxId: positive(value, 'maxId') };
    default:
      throw new Undecodable(`unknown keytype ${JSON.stringify(key.keytype)}`);
  }
}
