/**
 * Avro schema -> JSON Schema (draft 2020-12 keywords that draft 7 also reads) of the JSON the
 * bridge (avro-json.ts) produces and accepts, for the AsyncAPI document and typed SDKs:
 *
 *   null, boolean, string     {type: null|boolean|string}
 *   int                       integer in [-2^31, 2^31 - 1]; long: integer within +-(2^53 - 1)
 *   float, double             number
 *   bytes, fixed              string, contentEncoding base64 (fixed: its size in the description)
 *   enum                      {enum: [symbols]} (a named type: $defs/<full name>)
 *   array, map                {type: array, items}, {type: object, additionalProperties}
 *   record                    {type: object, properties, required: fields without a default,
 *                             additionalProperties: false}, field defaults as `default`, docs as
 *                             `description` (a named type: $defs/<full name>, so recursion works)
 *   union                     {anyOf: branches}; ["null", T] is T or null
 *   logical types             the underlying type's schema (the bridge carries them as such),
 *                             with `x-avro-logical-type` and a description of the unit:
 *                             date (days since the epoch), time-millis/-micros, timestamp-millis/
 *                             -micros/-nanos and local-timestamp-* (since the epoch), decimal
 *                             (base64 of the two's-complement unscaled integer; precision, scale),
 *                             uuid (string, format uuid), duration (fixed 12: months, days, ms)
 *
 * avsc drops `logicalType` (Spool parses without logical type classes, so records keep their
 * underlying values), so the raw schema JSON is walked beside the avsc Type: a named type's raw
 * definition is looked up by full name, also among the references' schemas.
 */
import type { Type } from 'avsc';
import { avroKind } from './avro-compatibility.js';

type Json = Record<string, unknown>;

/** A schema's avsc Type with its raw JSON (the main schema's, or a reference's). */
export interface AvroTypeSource {
  readonly type: Type;
  readonly raw: unknown;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

const LOGICAL_DESCRIPTIONS: Readonly<Record<string, string>> = {
  date: 'days since 1970-01-01 (Avro date)',
  'time-millis': 'milliseconds after midnight (Avro time-millis)',
  'time-micros': 'microseconds after midnight (Avro time-micros)',
  'timestamp-millis': 'milliseconds since 1970-01-01T00:00:00Z (Avro timestamp-millis)',
  'timestamp-micros': 'microseconds since 1970-01-01T00:00:00Z (Avro timestamp-micros)',
  'timestamp-nanos': 'nanoseconds since 1970-01-01T00:00:00Z (Avro timestamp-nanos)',
  'local-timestamp-millis': 'milliseconds since 1970-01-01T00:00:00 local time (Avro local-timestamp-millis)',
  'local-timestamp-micros': 'microseconds since 1970-01-01T00:00:00 local time (Avro local-timestamp-micros)',
  'local-timestamp-nanos': 'nanoseconds since 1970-01-01T00:00:00 local time (Avro local-timestamp-nanos)',
  uuid: 'a UUID (Avro uuid)',
  duration: 'base64 of 12 bytes: months, days, milliseconds as unsigned little-endian 32-bit integers (Avro duration)',
};

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Converter {
  readonly defs: Json = {};
  private readonly rawByName = new Map<string, Json>();

  constructor(sources: readonly AvroTypeSource[]) {
    for (const source of sources) this.collect(source.type, source.raw, new Set());
  }

  /** Records every named type's raw definition under its full name. */
  private collect(type: Type, raw: unknown, seen: Set<Type>): void {
    if (seen.has(type)) return;
    const kind = avroKind(type);
    if (isObject(raw) && type.name !== undefined && (kind === 'record' || kind === 'enum' || kind === 'fixed')) {
      seen.add(type);
      if (!this.rawByName.has(type.name)) this.rawByName.set(type.name, raw);
    }
    const sub = (t: Type, r: unknown) => this.collect(t, r, seen);
    switch (kind) {
      case 'record': {
        const rawFields = isObject(raw) && Array.isArray(raw.fields) ? (raw.fields as unknown[]) : [];
        fieldsOf(type).forEach((field, i) => sub(field.type, isObject(rawFields[i]) ? (rawFields[i] as Json).type : undefined));
        break;
      }
      case 'array':
        sub(itemsOf(type), isObject(raw) ? raw.items : undefined);
        break;
      case 'map':
        sub(valuesOf(type), isObject(raw) ? raw.values : undefined);
        break;
      case 'union':
        branchesOf(type).forEach((branch, i) => sub(branch, Array.isArray(raw) ? raw[i] : undefined));
        break;
      default:
        break;
    }
  }

  schemaOf(type: Type, raw: unknown): Json {
    const kind = avroKind(type);
    if ((kind === 'record' || kind === 'enum' || kind === 'fixed') && type.name !== undefined) {
      if (!(type.name in this.defs)) {
        this.defs[type.name] = {}; // placeholder first: a recursive reference finds it
        this.defs[type.name] = this.named(type, this.rawByName.get(type.name) ?? (isObject(raw) ? raw : {}));
      }
      return { $ref: `#/$defs/${type.name}` };
    }
    const logical = isObject(raw) && typeof raw.logicalType === 'string' ? raw.logicalType : undefined;
    return withLogical(this.unnamed(type, raw), logical, raw);
  }

  private unnamed(type: Type, raw: unknown): Json {
    switch (avroKind(type)) {
      case 'null':
        return { type: 'null' };
      case 'boolean':
        return { type: 'boolean' };
      case 'int':
        return { type: 'integer', minimum: INT_MIN, maximum: INT_MAX };
      case 'long':
        return { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
      case 'float':
      case 'double':
        return { type: 'number' };
      case 'string':
        return { type: 'string' };
      case 'bytes':
        return { type: 'string', contentEncoding: 'base64' };
      case 'array':
        return { type: 'array', items: this.schemaOf(itemsOf(type), isObject(raw) ? raw.items : undefined) };
      case 'map':
        return { type: 'object', additionalProperties: this.schemaOf(valuesOf(type), isObject(raw) ? raw.values : undefined) };
      case 'union':
        return { anyOf: branchesOf(type).map((b, i) => this.schemaOf(b, Array.isArray(raw) ? raw[i] : undefined)) };
      default:
        return {};
    }
  }

  private named(type: Type, raw: Json): Json {
    const doc = type.doc !== undefined ? { description: type.doc } : {};
    const title = { title: type.name };
    switch (avroKind(type)) {
      case 'enum':
        return { ...title, ...doc, enum: [...(type as unknown as { symbols: string[] }).symbols] };
      case 'fixed': {
        const size = (type as unknown as { size: number }).size;
        const logical = typeof raw.logicalType === 'string' ? raw.logicalType : undefined;
        const base = { ...title, type: 'string', contentEncoding: 'base64', description: type.doc ?? `base64 of exactly ${size} bytes (Avro fixed)` };
        return withLogical(base, logical, raw);
      }
      default: {
        const rawFields = Array.isArray(raw.fields) ? (raw.fields as unknown[]) : [];
        const properties: Json = {};
        const required: string[] = [];
        fieldsOf(type).forEach((field, i) => {
          const rawField = isObject(rawFields[i]) ? (rawFields[i] as Json) : {};
          const schema: Json = { ...this.schemaOf(field.type, rawField.type) };
          if (typeof rawField.doc === 'string') schema.description = rawField.doc;
          const hasDefault = Object.prototype.hasOwnProperty.call(field, 'defaultValue');
          // bytes/fixed defaults are ISO-8859-1 text in Avro JSON, not the bridge's base64: left out.
          if (hasDefault && 'default' in rawField && !holdsBytes(field.type)) schema.default = rawField.default;
          properties[field.name] = schema;
          if (!hasDefault) required.push(field.name);
        });
        return { ...title, ...doc, type: 'object', properties, required, additionalProperties: false };
      }
    }
  }
}

/** The JSON Schema of the bridge's JSON for `root` (see the top of the file); named types in $defs. */
export function avroJsonSchema(root: AvroTypeSource, references: readonly AvroTypeSource[] = []): Json {
  const converter = new Converter([root, ...references]);
  const schema = converter.schemaOf(root.type, root.raw);
  return Object.keys(converter.defs).length > 0 ? { ...schema, $defs: converter.defs } : schema;
}

function withLogical(schema: Json, logical: string | undefined, raw: unknown): Json {
  if (logical === undefined || !(logical in LOGICAL_DESCRIPTIONS || logical === 'decimal')) return schema;
  const out: Json = { ...schema, 'x-avro-logical-type': logical };
  if (logical === 'decimal' && isObject(raw)) {
    const precision = typeof raw.precision === 'number' ? raw.precision : undefined;
    const scale = typeof raw.scale === 'number' ? raw.scale : 0;
    out.description = `base64 of the two's-complement big-endian unscaled integer of a decimal (precision ${precision ?? '?'}, scale ${scale}; Avro decimal)`;
  } else {
    out.description = LOGICAL_DESCRIPTIONS[logical];
  }
  if (logical === 'uuid' && schema.type === 'string') out.format = 'uuid';
  return out;
}

function holdsBytes(type: Type): boolean {
  const kind = avroKind(type);
  if (kind === 'bytes' || kind === 'fixed') return true;
  return kind === 'union' && branchesOf(type).length > 0 && holdsBytes(branchesOf(type)[0]);
}

interface Field {
  readonly name: string;
  readonly type: Type;
}

function fieldsOf(type: Type): Field[] {
  return (type as unknown as { fields: Field[] }).fields;
}

function branchesOf(type: Type): Type[] {
  return (type as unknown as { types: Type[] }).types;
}

function itemsOf(type: Type): Type {
  return (type as unknown as { itemsType: Type }).itemsType;
}

function valuesOf(type: Type): Type {
  return (type as unknown as { valuesType: Type }).valuesType;
}
