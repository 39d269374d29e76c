/**
 * A JSON Schema seen the way the compatibility check needs it: one kind per (sub)schema, $refs
 * followed, `type` arrays and mixed keywords turned into combinations. This is the model
 * Confluent's JSON Schema compatibility works on (everit's schema classes), rebuilt over the raw
 * schema JSON:
 *
 *   true, {} (no validation keyword)  -> empty (accepts anything);  false -> false
 *   $ref                              -> the referenced schema (siblings ignored, as draft 7)
 *   enum / const / not                -> enum / const / not
 *   allOf / anyOf / oneOf             -> combined; several of them, or one beside type keywords,
 *                                        -> allOf of the parts
 *   type: [a, b]                      -> anyOf of one schema per type
 *   type: t, or keywords of one kind  -> string | number (integer: requiresInteger) | boolean |
 *                                        null | object | array
 */

export type JsonKind = 'empty' | 'false' | 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array' | 'enum' | 'const' | 'combined' | 'not';

export type Criterion = 'allOf' | 'anyOf' | 'oneOf';

export interface SchemaView {
  readonly kind: JsonKind;
  /** The JSON object (or boolean) this view was made from: identity for cycle detection. */
  readonly source: unknown;
  readonly raw: Record<string, unknown>;
  readonly integer?: boolean;
  readonly criterion?: Criterion;
  readonly subschemas?: readonly unknown[];
  readonly not?: unknown;
}

const OBJECT_KEYWORDS = ['properties', 'required', 'additionalProperties', 'patternProperties', 'minProperties', 'maxProperties', 'dependencies', 'dependentRequired', 'dependentSchemas', 'propertyNames'];
const ARRAY_KEYWORDS = ['items', 'prefixItems', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems', 'contains'];
const STRING_KEYWORDS = ['minLength', 'maxLength', 'pattern', 'format'];
const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'];
const COMBINERS: readonly Criterion[] = ['allOf', 'anyOf', 'oneOf'];
const TYPE_KEYWORDS = ['type', ...OBJECT_KEYWORDS, ...ARRAY_KEYWORDS, ...STRING_KEYWORDS, ...NUMBER_KEYWORDS];

/** Follows $ref: `#...` pointers within `root`, other URLs among `documents` (by $id or reference name), with a fragment. */
export class RefResolver {
  constructor(
    private readonly root: unknown,
    private readonly documents: ReadonlyMap<string, unknown>,
  ) {}

  resolve(schema: unknown, depth = 0): unknown {
    if (depth > 32) throw new Error('a $ref chain is longer than 32 steps');
    if (typeof schema !== 'object' || schema === null || typeof (schema as { $ref?: unknown }).$ref !== 'string') return schema;
    const ref = (schema as { $ref: string }).$ref;
    const hash = ref.indexOf('#');
    const base = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    const document = base === '' ? this.root : this.documents.get(base);
    if (document === undefined) throw new Error(`cannot resolve $ref ${JSON.stringify(ref)}`);
    return this.resolve(pointerGet(document, fragment, ref), depth + 1);
  }
}

function pointerGet(document: unknown, fragment: string, ref: string): unknown {
  if (fragment === '' || fragment === '/') return document;
  let node = document;
  for (const raw of fragment.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !(key in node)) throw new Error(`cannot resolve $ref ${JSON.stringify(ref)}`);
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export function viewOf(schema: unknown, refs: RefResolver): SchemaView {
  const resolved = refs.resolve(schema);
  if (resolved === true) return { kind: 'empty', source: resolved, raw: {} };
  if (resolved === false) return { kind: 'false', source: resolved, raw: {} };
  if (typeof resolved !== 'object' || resolved === null) return { kind: 'empty', source: resolved, raw: {} };
  const raw = resolved as Record<string, unknown>;
  const combiners = COMBINERS.filter((c) => Array.isArray(raw[c]));
  const hasTypeKeywords = TYPE_KEYWORDS.some((k) => k in raw) || 'enum' in raw || 'const' in raw || 'not' in raw;
  if (combiners.length === 1 && !hasTypeKeywords) {
    return { kind: 'combined', source: resolved, raw, criterion: combiners[0], subschemas: raw[combiners[0]] as unknown[] };
  }
  if (combiners.length > 0) {
    // Keywords beside combinators all apply: allOf of the rest and each combinator.
    const rest: Record<string, unknown> = { ...raw };
    for (const c of combiners) delete rest[c];
    const parts: unknown[] = hasTypeKeywords ? [rest] : [];
    for (const c of combiners) parts.push({ [c]: raw[c] });
    return parts.length === 1 ? viewOf(parts[0], refs) : { kind: 'combined', source: resolved, raw, criterion: 'allOf', subschemas: parts };
  }
  if ('enum' in raw) return { kind: 'enum', source: resolved, raw };
  if ('const' in raw) return { kind: 'const', source: resolved, raw };
  if ('not' in raw && !TYPE_KEYWORDS.some((k) => k in raw)) return { kind: 'not', source: resolved, raw, not: raw.not };
  const type = raw.type;
  if (Array.isArray(type)) {
    if (type.length === 1) return viewOf({ ...raw, type: type[0] }, refs);
    return { kind: 'combined', source: resolved, raw, criterion: 'anyOf', subschemas: type.map((t) => ({ ...raw, type: t })) };
  }
  switch (type) {
    case 'string':
    case 'boolean':
    case 'null':
    case 'object':
    case 'array':
      return { kind: type, source: resolved, raw };
    case 'number':
      return { kind: 'number', source: resolved, raw, integer: false };
    case 'integer':
      return { kind: 'number', source: resolved, raw, integer: true };
    default:
      break;
  }
  if (OBJECT_KEYWORDS.some((k) => k in raw)) return { kind: 'object', source: resolved, raw };
  if (ARRAY_KEYWORDS.some((k) => k in raw)) return { kind: 'array', source: resolved, raw };
  if (STRING_KEYWORDS.some((k) => k in raw)) return { kind: 'string', source: resolved, raw };
  if (NUMBER_KEYWORDS.some((k) => k in raw)) return { kind: 'number', source: resolved, raw, integer: false };
  return { kind: 'empty', source: resolved, raw };
}
