/**
 * Per-field facts the emitters need: the default value (as TypeScript and as schema data), the
 * TypeScript type, whether a version uses compact encodings, and minimum wire sizes (the bound
 * the array readers check a length prefix against before allocating).
 */
import { inRange } from './common.mjs';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

function parseIntDefault(raw, where) {
  const s = String(raw).trim();
  const n = /^-?0x/i.test(s) ? (s.startsWith('-') ? -parseInt(s.slice(3), 16) : parseInt(s.slice(2), 16)) : Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(`${where}: default ${raw} is not a safe integer`);
  return n;
}

/** The default as a TypeScript expression. */
export function defaultExpr(field) {
  const { type, rawDefault: raw, where } = field;
  const isNull = raw === 'null';
  if (isNull && !field.nullable && !(type.kind === 'primitive' && type.primitive === 'records')) {
    throw new Error(`${where}: default null on a field that is never nullable`);
  }
  if (type.kind === 'array') return isNull ? 'null' : '[]';
  if (type.kind === 'struct') return isNull ? 'null' : `default${type.struct.tsName}()`;
  switch (type.primitive) {
    case 'bool':
      return raw === undefined ? 'false' : String(raw === true || raw === 'true');
    case 'string':
      return isNull ? 'null' : JSON.stringify(raw === undefined ? '' : String(raw));
    case 'bytes':
      return isNull ? 'null' : 'Buffer.alloc(0)';
    case 'records':
      return isNull || raw === undefined ? 'null' : 'Buffer.alloc(0)';
    case 'uuid':
      return JSON.stringify(raw === undefined ? ZERO_UUID : String(raw));
    case 'float64':
      return raw === undefined ? '0' : String(Number(raw));
    default:
      return raw === undefined ? '0' : String(parseIntDefault(raw, where));
  }
}

/** The default as a JSON-able value for the schema (composites: null, or undefined for "empty"). */
export function schemaDefault(field) {
  const expr = defaultExpr(field);
  if (expr === 'null') return null;
  if (field.type.kind !== 'primitive' || field.type.primitive === 'bytes' || field.type.primitive === 'records') return undefined;
  return JSON.parse(expr);
}

export const recordsNullable = (field) => field.type.kind === 'primitive' && field.type.primitive === 'records';

function tsType(type) {
  if (type.kind === 'array') return `${tsType(type.element)}[]`;
  if (type.kind === 'struct') return type.struct.tsName;
  switch (type.primitive) {
    case 'bool':
      return 'boolean';
    case 'string':
    case 'uuid':
      return 'string';
    case 'bytes':
    case 'records':
      return 'Buffer';
    default:
      return 'number';
  }
}

export function fieldTsType(field) {
  const nullable = field.nullable !== null || recordsNullable(field);
  return nullable ? `${tsType(field.type)} | null` : tsType(field.type);
}

function compactAt(field, model, v) {
  if (field.flexibleOverride !== undefined) return inRange(v, field.flexibleOverride);
  return inRange(v, model.flexible);
}

/** Fewest bytes a value of `type` can take on the wire at version `v`. */
function minBytes(type, field, model, v, seen = new Set()) {
  const compact = compactAt(field, model, v);
  if (type.kind === 'array') return compact ? 1 : 4;
  if (type.kind === 'struct') {
    if (inRange(v, field.nullable)) return 1;
    return structMinBytes(type.struct, model, v, seen);
  }
  switch (type.primitive) {
    case 'bool':
    case 'int8':
      return 1;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int32':
    case 'uint32':
      return 4;
    case 'int64':
    case 'float64':
      return 8;
    case 'uuid':
      return 16;
    case 'string':
      return compact ? 1 : 2;
    default:
      return compact ? 1 : 4;
  }
}

function structMinBytes(struct, model, v, seen) {
  if (seen.has(struct)) return 0;
  seen.add(struct);
  let total = inRange(v, model.flexible) ? 1 : 0;
  for (const f of struct.fields) {
    if (inRange(v, f.versions) && !inRange(v, f.tagged)) total += minBytes(f.type, f, model, v, seen);
  }
  seen.delete(struct);
  return total;
}

/** Lower bound over all valid versions of an array element's size, at least 1. */
export function elementMinBytes(field, model) {
  let min = Infinity;
  for (let v = field.versions[0]; v <= field.versions[1]; v++) min = Math.min(min, minBytes(field.type.element, field, model, v));
  return Math.max(1, min);
}
