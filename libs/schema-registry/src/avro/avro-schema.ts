/**
 * AVRO schemas through avsc. Parsing is strict the way Avro's Java parser is (names, duplicate
 * fields and branches, defaults must fit their type, a union default its first branch), with
 * unions kept wrapped internally so that any valid union parses (avsc refuses ambiguous unwrapped
 * unions) and logical types read as their underlying types.
 *
 * Canonical text: the schema JSON re-serialized without whitespace, key order kept, and a
 * primitive written as an object with nothing but "type" ({"type":"string"}) written as its name
 * ("string"), as Avro's own Schema.toString() does. With normalize, object keys are also sorted,
 * so that the stored text is the sorted one. Identity (the fingerprint) always ignores key order.
 *
 * References: a reference's `name` is the full name of a named type it defines; referenced
 * schemas are parsed first into the same type registry, so the main schema can use their names.
 */
import avro from 'avsc';
import type { Type } from 'avsc';
import type { CompatibilityIssue, ParsedSchema } from '../parsed-schema.js';
import { invalidSchema, parseSchemaJson } from '../schema-limits.js';
import { recordInvalid } from '../record-issues.js';
import { avroReaderIssues } from './avro-compatibility.js';
import { avroToJson, jsonToAvro } from './avro-json.js';
import { avroJsonSchema, type AvroTypeSource } from './avro-json-schema.js';
import type { ValidationIssue } from '../parsed-schema.js';

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** A dependency already canonical (stored), in the order to parse it (its own dependencies first). */
export interface ResolvedDependency {
  readonly name: string;
  readonly schema: string;
}

export class AvroParsedSchema implements ParsedSchema {
  readonly schemaType = 'AVRO' as const;

  constructor(
    readonly canonical: string,
    /** The canonical form with keys sorted: key order never makes two schemas different. */
    readonly fingerprint: string,
    readonly type: Type,
    /** The schema JSON as registered and the references' types with theirs: what avsc drops (logical types) for jsonSchemaOfJson. */
    private readonly raw: unknown = undefined,
    private readonly references: readonly AvroTypeSource[] = [],
  ) {}

  readerIssues(writer: ParsedSchema): CompatibilityIssue[] {
    return avroReaderIssues(this.type, (writer as AvroParsedSchema).type);
  }

  encodeJson(value: unknown): Buffer {
    const issues: ValidationIssue[] = [];
    const converted = jsonToAvro(this.type, value, '', issues);
    if (issues.length > 0) throw recordInvalid(issues);
    try {
      return this.type.toBuffer(converted);
    } catch (err) {
      throw recordInvalid([{ path: '', message: (err as Error).message }]);
    }
  }

  decodeToJson(payload: Uint8Array): string {
    let decoded: unknown;
    try {
      decoded = this.type.fromBuffer(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    } catch (err) {
      throw recordInvalid([{ path: '', message: `not Avro binary of this schema: ${(err as Error).message}` }]);
    }
    return JSON.stringify(avroToJson(this.type, decoded));
  }

  jsonSchemaOfJson(): Record<string, unknown> {
    return avroJsonSchema({ type: this.type, raw: this.raw }, this.references);
  }
}


export function parseAvroSchema(text: string, dependencies: readonly ResolvedDependency[], normalize: boolean): AvroParsedSchema {
  const json = parseSchemaJson(text, 'Avro');
  const registry: Record<string, Type> = {};
  const references: AvroTypeSource[] = [];
  try {
    for (const dependency of dependencies) {
      const raw = parseSchemaJson(dependency.schema, 'Avro');
      references.push({ type: avro.Type.forSchema(raw as avro.Schema, { registry, wrapUnions: true }), raw });
    }
  } catch (err) {
    throw invalidSchema('Avro (in a reference)', err);
  }
  let type: Type;
  try {
    type = avro.Type.forSchema(json as avro.Schema, { registry, wrapUnions: true });
  } catch (err) {
    throw invalidSchema('Avro', err);
  }
  return new AvroParsedSchema(JSON.stringify(canonicalAvroJson(json, normalize)), JSON.stringify(canonicalAvroJson(json, true)), type, json, references);
}

function canonicalAvroJson(json: unknown, sortKeys: boolean): unknown {
  if (Array.isArray(json)) return json.map((item) => canonicalAvroJson(item, sortKeys));
  if (typeof json !== 'object' || json === null) return json;
  const object = json as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1 && keys[0] === 'type' && typeof object.type === 'string' && PRIMITIVES.has(object.type)) return object.type;
  const out: Record<string, unknown> = {};
  for (const key of sortKeys ? [...keys].sort() : keys) {
    // Field defaults are data, not schema: kept as written.
    out[key] = key === 'default' ? object[key] : canonicalAvroJson(object[key], sortKeys);
  }
  return out;
}
