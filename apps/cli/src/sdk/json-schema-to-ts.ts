/**
 * JSON Schema (the subset the broker's AsyncAPI document uses, plus what registered JSON Schemas
 * commonly use) -> TypeScript type expressions, for `spool sdk generate`:
 *
 *   true, {}, unknown keywords     unknown            false, {not: {}}     never
 *   $ref                           the named type of its target (every target is declared once,
 *                                  so recursive schemas work)
 *   const, enum                    literal types      type: [a, b]         a | b
 *   anyOf, oneOf                   A | B              allOf                A & B
 *   string / number, integer /     string / number /  null                 null
 *     boolean                        boolean
 *   object                         { name?: T } (required without `?`); additionalProperties false:
 *                                  nothing more; a schema: [key: string] index of it (or unknown
 *                                  beside declared properties); absent: [key: string]: unknown
 *   array                          T[]; prefixItems: [A, B, ...T[]]
 * Descriptions become doc comments. Other keywords (formats, ranges, patterns) narrow values
 * further than TypeScript can say: the broker checks them.
 */

type Json = Record<string, unknown>;

export interface TypeNamer {
  /** The TypeScript name declared for a `$ref` target (declaring it when first seen). */
  nameOf(ref: string): string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

export function docComment(text: unknown, indent: string): string {
  if (typeof text !== 'string' || text === '') return '';
  return `${indent}/** ${text.replace(/\*\//g, '*\\/').replace(/\n/g, `\n${indent} * `)} */\n`;
}

function literal(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  return 'unknown'; // an object or array literal: TypeScript has no literal type for it
}

function union(parts: string[]): string {
  const unique = [...new Set(parts)];
  if (unique.length === 0) return 'never';
  if (unique.includes('unknown')) return 'unknown';
  return unique.length === 1 ? unique[0] : unique.map((p) => (p.includes('&') ? `(${p})` : p)).join(' | ');
}

export function typeOf(schema: unknown, namer: TypeNamer, indent = ''): string {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  if (!isObject(schema)) return 'unknown';
  if (typeof schema.$ref === 'string') return namer.nameOf(schema.$ref);
  if (isObject(schema.not) && Object.keys(schema.not).length === 0) return 'never';
  if ('const' in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return union(schema.enum.map(literal));
  const parts: string[] = [];
  for (const combiner of ['anyOf', 'oneOf'] as const) {
    const branches = schema[combiner];
    if (Array.isArray(branches)) parts.push(`(${union(branches.map((b) => typeOf(b, namer, indent)))})`);
  }
  if (Array.isArray(schema.allOf)) for (const part of schema.allOf) parts.push(`(${typeOf(part, namer, indent)})`);
  const own = ownType(schema, namer, indent);
  if (own !== undefined) parts.push(own);
  if (parts.length === 0) return 'unknown';
  const kept = parts.filter((p) => p !== '(unknown)');
  return kept.length === 0 ? 'unknown' : kept.length === 1 ? stripParens(kept[0]) : kept.join(' & ');
}

function stripParens(type: string): string {
  return type.startsWith('(') && type.endsWith(')') && !type.slice(1, -1).includes('(') ? type.slice(1, -1) : type;
}

/** The type the `type` keyword (or object/array keywords alone) gives; undefined when none does. */
function ownType(schema: Json, namer: TypeNamer, indent: string): string | undefined {
  const types = Array.isArray(schema.type) ? (schema.type as unknown[]) : typeof schema.type === 'string' ? [schema.type] : undefined;
  if (types === undefined) {
    if (isObject(schema.properties) || 'additionalProperties' in schema) return objectType(schema, namer, indent);
    if ('items' in schema || 'prefixItems' in schema) return arrayType(schema, namer, indent);
    return undefined;
  }
  return union(
    types.map((t) => {
      switch (t) {
        case 'string':
          return 'string';
        case 'number':
        case 'integer':
          return 'number';
        case 'boolean':
          return 'boolean';
        case 'null':
          return 'null';
        case 'object':
          return objectType(schema, namer, indent);
        case 'array':
          return arrayType(schema, namer, indent);
        default:
          return 'unknown';
      }
    }),
  );
}

function objectType(schema: Json, namer: TypeNamer, indent: string): string {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as unknown[]).filter((r): r is string => typeof r === 'string') : []);
  const inner = `${indent}  `;
  const lines: string[] = [];
  for (const [name, property] of Object.entries(properties)) {
    lines.push(`${docComment(isObject(property) ? property.description : undefined, inner)}${inner}${propertyKey(name)}${required.has(name) ? '' : '?'}: ${typeOf(property, namer, inner)};`);
  }
  const additional = schema.additionalProperties;
  if (additional !== false) {
    const valueType = isObject(additional) && Object.keys(properties).length === 0 ? typeOf(additional, namer, inner) : 'unknown';
    lines.push(`${inner}[key: string]: ${valueType};`);
  }
  return lines.length === 0 ? 'Record<string, never>' : `{\n${lines.join('\n')}\n${indent}}`;
}

function arrayType(schema: Json, namer: TypeNamer, indent: string): string {
  const rest = isObject(schema.items) || typeof schema.items === 'boolean' ? typeOf(schema.items, namer, indent) : 'unknown';
  if (Array.isArray(schema.prefixItems)) {
    const heads = schema.prefixItems.map((item) => typeOf(item, namer, indent));
    return schema.items === false ? `[${heads.join(', ')}]` : `[${[...heads, `...${wrapArray(rest)}[]`].join(', ')}]`;
  }
  return `${wrapArray(rest)}[]`;
}

function wrapArray(type: string): string {
  return /^[A-Za-z0-9_$.]+$/.test(type) ? type : `(${type})`;
}
