/**
 * fast-check arbitraries from JSON Schema (the subset the AsyncAPI and OpenAPI documents use:
 * $ref, const, enum, type (one or several), oneOf/anyOf, properties/required/additionalProperties,
 * items, minimum/maximum, maxLength), and mutations of what they generate, for the property-based
 * fuzz tests of the faces: well-formed frames and requests exercise the deep paths, mutated ones
 * (a field dropped, retyped, replaced by an extreme value, an unknown field added) the checks.
 */
import fc from 'fast-check';

export type JsonSchema = Readonly<Record<string, unknown>>;

/** Strings that probe the edges: empty, long, control and non-ASCII characters, almost-numbers. */
const edgeString = fc.oneof(
  fc.constantFrom('', ' ', '\u0000', '💥', 'null', '-1', '9007199254740993', '__consumer_offsets', '../etc', 'a'.repeat(300)),
  fc.string({ maxLength: 12 }),
);

/** Numbers that probe the edges: negative, zero, beyond int32 and 2^53, fractions. */
const edgeNumber = fc.oneof(
  fc.constantFrom(0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1.5, -0.5, 1e308),
  fc.integer({ min: -1000, max: 1000 }),
);

/** Any JSON value, shallow. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  edgeString,
  edgeNumber,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(edgeString, edgeNumber), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(edgeString, edgeNumber), { maxKeys: 3 }),
);

export interface SchemaContext {
  /** Resolves `#/...` references against this document. */
  readonly root: JsonSchema;
  /** Values for string properties by name (topic, group names the test set up), so valid frames reach deep. */
  readonly strings?: Readonly<Record<string, fc.Arbitrary<string>>>;
  /** Values for properties of any type by name (a partition that exists, a plausible timestamp), over the schema's. */
  readonly values?: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

function resolve(ctx: SchemaContext, schema: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  let node: unknown = ctx.root;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[part];
  return resolve(ctx, node as JsonSchema);
}

/** Values valid for `schema` (as far as the subset goes), for property `name` if it is one. */
export function arbitraryFor(ctx: SchemaContext, input: JsonSchema, name = '', depth = 0): fc.Arbitrary<unknown> {
  const override = ctx.values?.[name];
  if (override !== undefined) return override;
  const schema = resolve(ctx, input);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (alternatives !== undefined) return fc.oneof(...alternatives.map((s) => arbitraryFor(ctx, s, name, depth)));
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => arbitraryFor(ctx, { ...schema, type }, name, depth)));
  const min = typeof schema.minimum === 'number' ? schema.minimum : -1000;
  const max = typeof schema.maximum === 'number' ? schema.maximum : 100_000;
  switch (types[0]) {
    case 'string':
      return ctx.strings?.[name] ?? fc.string({ maxLength: Math.min(typeof schema.maxLength === 'number' ? schema.maxLength : 16, 16) });
    case 'integer':
      return fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 100_000) });
    case 'number':
      return fc.double({ min: Math.max(min, -1000), max: Math.min(max, 100_000), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return depth > 3 ? fc.constant([]) : fc.array(arbitraryFor(ctx, (schema.items ?? {}) as JsonSchema, name, depth + 1), { maxLength: 4 });
    case 'object':
      return objectArbitrary(ctx, schema, depth);
    default:
      // No type: any JSON (record keys and values).
      return depth > 3 ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArbitrary(ctx: SchemaContext, schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  if (Object.keys(properties).length === 0 || depth > 3) return fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 });
  const required = new Set((schema.required ?? []) as string[]);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, sub] of Object.entries(properties)) record[key] = arbitraryFor(ctx, sub, key, depth + 1);
  return fc.record(record, { requiredKeys: Object.keys(properties).filter((key) => required.has(key)) });
}

/** One change to a generated object: a field dropped, retyped, set to an edge value, or an unknown one added. */
export function mutated(value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(value, fc.nat(), fc.integer({ min: 0, max: 3 }), anyJson).map(([v, pick, how, replacement]) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return replacement;
    const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const key = keys.length === 0 ? 'x' : keys[pick % keys.length];
    if (how === 0) delete copy[key];
    else if (how === 1) copy[key] = replacement;
    else if (how === 2) copy[`unknown${pick % 7}`] = replacement;
    else copy[key] = Array.isArray(copy[key]) ? [replacement, ...(copy[key] as unknown[])] : [copy[key]];
    return copy;
  });
}
