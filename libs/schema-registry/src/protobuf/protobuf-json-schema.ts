/**
 * Protobuf message -> JSON Schema (draft 2020-12 keywords that draft 7 also reads) of the JSON the
 * bridge (protobuf-json.ts) produces and accepts, for the AsyncAPI document and typed SDKs:
 *
 *   message                   {type: object, properties by .proto field name,
 *                             additionalProperties: false}, no `required` (proto3 has no required
 *                             fields; a missing field is its default), in $defs/<full name>
 *   int32, sint32, sfixed32   integer in [-2^31, 2^31 - 1]; uint32, fixed32: [0, 2^32 - 1]
 *   64-bit integers           string of decimal digits (the bridge always writes them so; it also
 *                             accepts a safe integer, which the type leaves out)
 *   float, double             number, or "NaN", "Infinity", "-Infinity"
 *   bool, string              boolean, string
 *   bytes                     string, contentEncoding base64
 *   enum                      {enum: [value names]} (the bridge also accepts numbers)
 *   repeated T                {type: array, items: T}
 *   map<K, V>                 {type: object, additionalProperties: V} (keys are strings in JSON;
 *                             integer keys get a propertyNames pattern)
 *   oneof                     its members are ordinary optional properties, and a `not` of any two
 *                             set together; the oneof is named in each member's description
 *   well-known types          google.protobuf.* messages (Timestamp, Duration, wrappers, Struct,
 *                             Any, ...) as their fields, as the bridge carries them (not the
 *                             proto3 JSON special forms such as RFC 3339 timestamps), with a
 *                             description that says so
 * Comments on messages and fields (`/** ... *\/` or `///`) become descriptions.
 */
import protobuf from 'protobufjs';

type Json = Record<string, unknown>;
type Type = protobuf.Type;
type Field = protobuf.Field;

const INT32 = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32 = new Set(['uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64']);
const UINT64 = new Set(['uint64', 'fixed64']);

/** The JSON Schema of the bridge's JSON for message `type` (see the top of the file). */
export function protobufJsonSchema(type: Type): Json {
  const defs: Json = {};
  const root = messageSchema(type, defs);
  return { ...root, $defs: defs };
}

function messageSchema(type: Type, defs: Json): Json {
  const name = type.fullName.slice(1);
  if (!(name in defs)) {
    defs[name] = {}; // placeholder first: a recursive reference finds it
    const properties: Json = {};
    for (const field of type.fieldsArray) {
      const item = fieldSchema(field, defs);
      const schema: Json = field.map ? mapSchema(field, item) : field.repeated ? { type: 'array', items: item } : item;
      const notes = [field.comment ?? undefined, oneofNote(field)].filter((n): n is string => typeof n === 'string' && n !== '');
      properties[field.name] = notes.length > 0 ? { ...schema, description: notes.join(' ') } : schema;
    }
    const exclusions: Json[] = [];
    for (const oneof of type.oneofsArray) {
      if (oneof.fieldsArray.length < 2) continue; // a proto3 `optional` field's synthetic oneof
      const members = oneof.fieldsArray.map((f) => f.name);
      for (let i = 0; i < members.length; i++) for (let j = i + 1; j < members.length; j++) exclusions.push({ required: [members[i], members[j]] });
    }
    const description = [type.comment ?? undefined, wellKnownNote(name)].filter((n): n is string => typeof n === 'string' && n !== '');
    defs[name] = {
      title: name,
      ...(description.length > 0 && { description: description.join(' ') }),
      type: 'object',
      properties,
      additionalProperties: false,
      ...(exclusions.length > 0 && { not: { anyOf: exclusions } }),
    };
  }
  return { $ref: `#/$defs/${name}` };
}

function mapSchema(field: Field, values: Json): Json {
  const keyType = (field as unknown as protobuf.MapField).keyType;
  const schema: Json = { type: 'object', additionalProperties: values };
  if (keyType !== 'string' && keyType !== 'bool') schema.propertyNames = { pattern: UINT32.has(keyType) || UINT64.has(keyType) ? '^[0-9]+$' : '^-?[0-9]+$' };
  if (keyType === 'bool') schema.propertyNames = { enum: ['true', 'false'] };
  return schema;
}

function oneofNote(field: Field): string | undefined {
  const oneof = field.partOf;
  if (oneof === null || oneof.fieldsArray.length < 2) return undefined;
  return `Member of oneof ${oneof.name} (${oneof.fieldsArray.map((f) => f.name).join(', ')}): at most one is set.`;
}

function wellKnownNote(name: string): string | undefined {
  if (!name.startsWith('google.protobuf.')) return undefined;
  return `Well-known type ${name}, as its fields (the JSON bridge does not use the proto3 JSON special form).`;
}

function fieldSchema(field: Field, defs: Json): Json {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageSchema(resolved, defs);
  if (resolved instanceof protobuf.Enum) return { title: resolved.fullName.slice(1), enum: Object.keys(resolved.values) };
  const type = field.type;
  if (INT32.has(type)) return { type: 'integer', minimum: -(2 ** 31), maximum: 2 ** 31 - 1 };
  if (UINT32.has(type)) return { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1 };
  if (INT64.has(type)) return { type: 'string', pattern: '^-?[0-9]+$', description: `${type} as a decimal string` };
  if (UINT64.has(type)) return { type: 'string', pattern: '^[0-9]+$', description: `${type} as a decimal string` };
  if (type === 'float' || type === 'double') return { anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] };
  if (type === 'bool') return { type: 'boolean' };
  if (type === 'bytes') return { type: 'string', contentEncoding: 'base64' };
  return { type: 'string' };
}
