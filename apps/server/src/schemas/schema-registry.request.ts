/**
 * Reading Confluent Schema Registry requests: bodies, versions and boolean query flags, checked by
 * hand so that every refusal is Confluent's own error (the registry's clients read `error_code`).
 */
import { isCompatibilityLevel, isMode, isSchemaType, SchemaRegistryError, type SchemaInput, type SchemaReference, type VersionSpec } from '@spool/schema-registry';

const MAX_VERSION = 2 ** 31 - 1;
const MAX_REFERENCES = 1000;

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SchemaRegistryError('INVALID_SCHEMA', 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** "latest", -1 (Confluent's alias of latest) or 1..2^31-1; else 42202. */
export function parseVersion(text: string): VersionSpec {
  if (text === 'latest' || text === '-1') return 'latest';
  const version = /^[0-9]{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(version >= 1 && version <= MAX_VERSION)) {
    throw new SchemaRegistryError('INVALID_VERSION', `The specified version '${text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
  }
  return version;
}

/** A query flag: absent or "false" is false, "true" is true (case-insensitive, as Jersey reads booleans). */
export function flag(value: string | undefined): boolean {
  return typeof value === 'string' && value.toLowerCase() === 'true';
}

function references(value: unknown): SchemaReference[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_REFERENCES) throw new SchemaRegistryError('INVALID_SCHEMA', `references must be an array of at most ${MAX_REFERENCES} {name, subject, version}`);
  return value.map((r: unknown, i) => {
    const ref = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    if (typeof ref.name !== 'string' || typeof ref.subject !== 'string' || !Number.isSafeInteger(ref.version) || (ref.version as number) < 1) {
      throw new SchemaRegistryError('INVALID_SCHEMA', `references[${i}] must be {name: string, subject: string, version: positive integer}`);
    }
    return { name: ref.name, subject: ref.subject, version: ref.version as number };
  });
}

/** The schema of a register, lookup or compatibility request: {schema, schemaType?, references?}. */
export function schemaInput(body: unknown): SchemaInput {
  const b = objectBody(body);
  if (typeof b.schema !== 'string' || b.schema.length === 0) throw new SchemaRegistryError('INVALID_SCHEMA', 'Empty schema: the body needs "schema", the schema text');
  const schemaType = b.schemaType === undefined || b.schemaType === null ? 'AVRO' : b.schemaType;
  if (!isSchemaType(schemaType)) throw new SchemaRegistryError('INVALID_SCHEMA', `Invalid schema type ${JSON.stringify(schemaType)}: AVRO, JSON or PROTOBUF`);
  return { schemaType, schema: b.schema, references: references(b.references) };
}

/** IMPORT mode's id and version of a register request, when given. */
export function importIds(body: unknown): { id?: number; version?: number } {
  const b = objectBody(body);
  const out: { id?: number; version?: number } = {};
  for (const field of ['id', 'version'] as const) {
    const value = b[field];
    if (value === undefined || value === null || value === -1 || value === 0) continue;
    if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_VERSION) throw new SchemaRegistryError('INVALID_SCHEMA', `${field} must be a positive 32-bit integer`);
    out[field] = value as number;
  }
  return out;
}

export function compatibilityBody(body: unknown) {
  const level = objectBody(body).compatibility;
  if (!isCompatibilityLevel(level)) {
    throw new SchemaRegistryError('INVALID_COMPATIBILITY_LEVEL', `Invalid compatibility level ${JSON.stringify(level)}. Valid values are NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE`);
  }
  return level;
}

export function modeBody(body: unknown) {
  const mode = objectBody(body).mode;
  if (!isMode(mode)) throw new SchemaRegistryError('INVALID_MODE', `Invalid mode ${JSON.stringify(mode)}. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT`);
  return mode;
}
