/**
 * The JSON bridge for Avro: plain JSON (what a browser sends and reads) <-> the values avsc
 * encodes, checked field by field so that a bad record gets every problem with its path.
 *
 *   null, boolean, string       as themselves
 *   int                         an integer in [-2^31, 2^31 - 1]
 *   long                        an integer within +-(2^53 - 1) (JSON numbers beyond it lose digits)
 *   float, double               a number
 *   bytes, fixed                standard base64 (fixed: exactly `size` bytes once decoded)
 *   enum                        one of its symbols, as a string
 *   array, map                  a JSON array, a JSON object
 *   record                      a JSON object with the record's fields; a missing field takes its
 *                               default; an unknown field is an error
 *   union                       the value itself (not Avro JSON's {"type": value} wrapper): the
 *                               first branch the value fits is taken. The wrapped form is also
 *                               accepted when no branch fits the value as it is.
 * Decoding produces the same forms (unions unwrapped), so JSON round-trips.
 */
import type { Type } from 'avsc';
import type { ValidationIssue } from '../parsed-schema.js';
import { avroKind } from './avro-compatibility.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

interface Field {
  readonly name: string;
  readonly type: Type;
  defaultValue(): unknown;
}

function fieldsOf(type: Type): Field[] {
  return (type as unknown as { fields: Field[] }).fields;
}

function branchesOf(type: Type): Type[] {
  return (type as unknown as { types: Type[] }).types;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Converts `value`; pushes issues and returns undefined where it does not fit. */
export function jsonToAvro(type: Type, value: unknown, path: string, issues: ValidationIssue[]): unknown {
  const fail = (message: string): undefined => {
    issues.push({ path, message });
    return undefined;
  };
  switch (avroKind(type)) {
    case 'null':
      return value === null ? null : fail('must be null');
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('must be a boolean');
    case 'int':
      return Number.isInteger(value) && (value as number) >= INT_MIN && (value as number) <= INT_MAX ? value : fail('must be an integer within the int range [-2147483648, 2147483647]');
    case 'long':
      return Number.isSafeInteger(value) ? value : fail('must be an integer within +-9007199254740991 (a long beyond that cannot travel as a JSON number)');
    case 'float':
    case 'double':
      return typeof value === 'number' ? value : fail('must be a number');
    case 'string':
      return typeof value === 'string' ? value : fail('must be a string');
    case 'bytes':
      return typeof value === 'string' && BASE64.test(value) ? Buffer.from(value, 'base64') : fail('must be standard padded base64 (Avro bytes)');
    case 'fixed': {
      const size = (type as unknown as { size: number }).size;
      if (typeof value !== 'string' || !BASE64.test(value)) return fail(`must be standard padded base64 of ${size} bytes (Avro fixed ${type.name})`);
      const bytes = Buffer.from(value, 'base64');
      return bytes.length === size ? bytes : fail(`must decode to exactly ${size} bytes (Avro fixed ${type.name}), got ${bytes.length}`);
    }
    case 'enum': {
      const symbols = (type as unknown as { symbols: string[] }).symbols;
      return typeof value === 'string' && symbols.includes(value) ? value : fail(`must be one of ${symbols.map((s) => JSON.stringify(s)).join(', ')} (enum ${type.name})`);
    }
    case 'array': {
      if (!Array.isArray(value)) return fail('must be an array');
      const items = (type as unknown as { itemsType: Type }).itemsType;
      return value.map((item, i) => jsonToAvro(items, item, pointer(path, i), issues));
    }
    case 'map': {
      if (!isPlainObject(value)) return fail('must be an object (Avro map)');
      const values = (type as unknown as { valuesType: Type }).valuesType;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = jsonToAvro(values, item, pointer(path, key), issues);
      return out;
    }
    case 'record':
      return recordToAvro(type, value, path, issues);
    case 'union':
      return unionToAvro(type, value, path, issues);
  }
}

function recordToAvro(type: Type, value: unknown, path: string, issues: ValidationIssue[]): unknown {
  if (!isPlainObject(value)) {
    issues.push({ path, message: `must be an object (record ${type.name})` });
    return undefined;
  }
  const fields = fieldsOf(type);
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (Object.prototype.hasOwnProperty.call(value, field.name)) {
      out[field.name] = jsonToAvro(field.type, value[field.name], pointer(path, field.name), issues);
    } else if (Object.prototype.hasOwnProperty.call(field, 'defaultValue')) {
      out[field.name] = field.defaultValue();
    } else {
      issues.push({ path: pointer(path, field.name), message: `is required (record ${type.name} field without a default)` });
    }
  }
  for (const key of Object.keys(value)) {
    if (!fields.some((f) => f.name === key)) issues.push({ path: pointer(path, key), message: `is not a field of record ${type.name}` });
  }
  return out;
}

function unionToAvro(type: Type, value: unknown, path: string, issues: ValidationIssue[]): unknown {
  const branches = branchesOf(type);
  if (value === null) {
    if (branches.some((b) => avroKind(b) === 'null')) return null;
  }
  for (const branch of branches) {
    if (avroKind(branch) === 'null') continue;
    const sub: ValidationIssue[] = [];
    const converted = jsonToAvro(branch, value, path, sub);
    if (sub.length === 0) return { [branch.branchName!]: converted };
  }
  // Avro's own JSON encoding wraps a union value as {"<branch>": value}: accept it as well.
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    const branch = keys.length === 1 ? branches.find((b) => b.branchName === keys[0]) : undefined;
    if (branch !== undefined) {
      const sub: ValidationIssue[] = [];
      const converted = jsonToAvro(branch, value[keys[0]], pointer(path, keys[0]), sub);
      if (sub.length === 0) return avroKind(branch) === 'null' ? null : { [branch.branchName!]: converted };
    }
  }
  issues.push({ path, message: `does not match any branch of the union [${branches.map((b) => b.branchName).join(', ')}]` });
  return undefined;
}

/** A decoded avsc value as plain JSON (see the top of the file). */
export function avroToJson(type: Type, value: unknown): unknown {
  switch (avroKind(type)) {
    case 'bytes':
    case 'fixed':
      return (value as Buffer).toString('base64');
    case 'array': {
      const items = (type as unknown as { itemsType: Type }).itemsType;
      return (value as unknown[]).map((item) => avroToJson(items, item));
    }
    case 'map': {
      const values = (type as unknown as { valuesType: Type }).valuesType;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = avroToJson(values, item);
      return out;
    }
    case 'record': {
      const out: Record<string, unknown> = {};
      const record = value as Record<string, unknown>;
      for (const field of fieldsOf(type)) out[field.name] = avroToJson(field.type, record[field.name]);
      return out;
    }
    case 'union': {
      if (value === null) return null;
      const [name] = Object.keys(value as object);
      const branch = branchesOf(type).find((b) => b.branchName === name);
      return branch === undefined ? null : avroToJson(branch, (value as Record<string, unknown>)[name]);
    }
    default:
      return value;
  }
}
