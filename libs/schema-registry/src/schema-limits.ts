/**
 * Bounds on what a client may register, checked before any parser sees the text, so a hostile
 * schema costs a bounded amount of memory and stack: the parsers (avsc, ajv, protobufjs) recurse
 * over the schema's structure.
 */
import { SchemaRegistryError } from './schema-registry.error.js';

export interface SchemaLimits {
  /** Largest schema text, in UTF-8 bytes. */
  readonly maxSchemaBytes: number;
  /** Deepest nesting of JSON arrays/objects (Avro, JSON Schema) or braces (Protobuf). */
  readonly maxDepth: number;
  /** Most references one schema may have, counted transitively. */
  readonly maxReferences: number;
}

export const DEFAULT_SCHEMA_LIMITS: SchemaLimits = { maxSchemaBytes: 1024 * 1024, maxDepth: 64, maxReferences: 256 };

/** Throws SCHEMA_TOO_LARGE or INVALID_SCHEMA when `text` is over the limits. */
export function checkSchemaText(text: string, limits: SchemaLimits): void {
  // UTF-8 is at most 3 bytes per UTF-16 unit: skip the exact count when the text is surely small.
  const bytes = text.length * 3 <= limits.maxSchemaBytes ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxSchemaBytes) {
    throw new SchemaRegistryError('SCHEMA_TOO_LARGE', `the schema is ${bytes} bytes; the limit is ${limits.maxSchemaBytes}`, { bytes, limit: limits.maxSchemaBytes });
  }
  const depth = nestingDepth(text, limits.maxDepth);
  if (depth > limits.maxDepth) {
    throw new SchemaRegistryError('INVALID_SCHEMA', `the schema nests deeper than ${limits.maxDepth} levels`, { limit: limits.maxDepth });
  }
}

/**
 * The deepest nesting of [ { ( outside string literals, stopping once past `stopAbove`. Counts
 * what any of the three grammars could recurse on; quotes of both kinds delimit strings (JSON uses
 * ", .proto both).
 */
function nestingDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === quote) quote = 0;
      continue;
    }
    if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x7b || c === 0x5b || c === 0x28) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 0x7d || c === 0x5d || c === 0x29) depth--;
  }
  return max;
}

/** JSON.parse that reports INVALID_SCHEMA with the parser's message. */
export function parseSchemaJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SchemaRegistryError('INVALID_SCHEMA', `invalid ${what} schema: not JSON (${(err as Error).message})`);
  }
}

/** Wraps a parser's own error (or a stack overflow) as INVALID_SCHEMA. */
export function invalidSchema(what: string, err: unknown): SchemaRegistryError {
  if (err instanceof SchemaRegistryError) return err;
  const message = err instanceof RangeError ? 'the schema is too deeply nested' : err instanceof Error ? err.message : String(err);
  return new SchemaRegistryError('INVALID_SCHEMA', `invalid ${what} schema: ${message}`);
}
