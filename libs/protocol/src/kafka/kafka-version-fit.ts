/**
 * Fits a message value to the version it is sent at. The broker's handlers build one response
 * shape (the newest fields filled in), and the inter-broker client (libs/broker-client) builds one
 * request shape; a field the negotiated version does not carry is reset to its default here,
 * recursively, so that the generated writer (which refuses a non-default value in a field the
 * version lacks, unless the spec marks it ignorable) never sees one. Kafka's handlers and request
 * builders do the same by hand, version by version; doing it from the schema keeps each of them
 * one code path.
 *
 * Returns a new value; the input is not mutated (handlers may share sub-objects).
 */
import type { KafkaFieldSchema, KafkaMessageSchema, KafkaVersionRange } from './kafka-schema.js';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

function inRange(version: number, range: KafkaVersionRange | null | undefined): boolean {
  return range != null && version >= range[0] && version <= range[1];
}

function defaultOf(field: KafkaFieldSchema): unknown {
  if (field.default === null) return null;
  if (field.kind === 'array') return [];
  if (field.kind === 'struct') return defaultsOf(field.fields ?? []);
  if (field.default !== undefined) return field.default;
  switch (field.primitive) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
    case 'records':
      return Buffer.alloc(0);
    default:
      return 0;
  }
}

function defaultsOf(fields: readonly KafkaFieldSchema[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field.name] = defaultOf(field);
  return out;
}

function fitStruct(fields: readonly KafkaFieldSchema[], value: Record<string, unknown>, version: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const field of fields) {
    if (!inRange(version, field.versions)) {
      out[field.name] = defaultOf(field);
      continue;
    }
    const current = out[field.name];
    if (current === undefined) {
      out[field.name] = defaultOf(field);
    } else if (current !== null && field.fields !== undefined) {
      out[field.name] =
        field.kind === 'array'
          ? (current as Record<string, unknown>[]).map((element) => fitStruct(field.fields ?? [], element, version))
          : fitStruct(field.fields, current as Record<string, unknown>, version);
    }
  }
  return out;
}

export function fitToVersion<T>(schema: KafkaMessageSchema, value: T, version: number): T {
  return fitStruct(schema.fields, value as Record<string, unknown>, version) as T;
}
