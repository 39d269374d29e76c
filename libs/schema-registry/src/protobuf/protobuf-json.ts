/**
 * The JSON bridge for Protobuf, after the proto3 JSON mapping, with every problem reported with
 * its path:
 *
 *   int32, uint32, (s)fixed32, sint32    a JSON integer in range (a decimal string is accepted)
 *   int64, uint64, (s)fixed64, sint64    a decimal string (always, when decoding), or a safe integer
 *   float, double                        a number, or "NaN", "Infinity", "-Infinity"
 *   bool, string                         as themselves
 *   bytes                                standard base64
 *   enum                                 the value's name (a number is accepted)
 *   message                              an object keyed by the .proto field names
 *   repeated, map                        an array; an object (map keys as strings)
 *   null                                 the field is not set
 * A oneof may have one member set. Decoding emits every field of the message in declaration
 * order, scalars at their defaults included (but an unset oneof member or proto3 `optional`
 * field is left out), so a browser sees the whole shape.
 */
import protobuf from 'protobufjs';
import type { ValidationIssue } from '../parsed-schema.js';

type Type = protobuf.Type;
type Field = protobuf.Field;

const INT32 = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32 = new Set(['uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64']);
const UINT64 = new Set(['uint64', 'fixed64']);
const FLOATS = new Set(['float', 'double']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^-?\d{1,20}$/;
const INT64_MAX = 2n ** 63n - 1n;

function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks `value` against the message type and returns an object Type.fromObject converts faithfully. */
export function jsonToProtobuf(type: Type, value: unknown, path: string, issues: ValidationIssue[], depth = 0): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    issues.push({ path, message: `must be an object (message ${type.fullName.slice(1)})` });
    return undefined;
  }
  if (depth > 64) {
    issues.push({ path, message: 'nests messages deeper than 64 levels' });
    return undefined;
  }
  const out: Record<string, unknown> = {};
  const setOneofs = new Map<string, string>();
  for (const [key, item] of Object.entries(value)) {
    const field = type.fields[key] ?? type.fieldsArray.find((f) => lowerCamel(f.name) === key);
    const at = pointer(path, key);
    if (field === undefined) {
      issues.push({ path: at, message: `is not a field of message ${type.fullName.slice(1)}` });
      continue;
    }
    if (item === null) continue;
    const oneof = field.partOf;
    if (oneof !== null && oneof.oneof.length > 1) {
      const other = setOneofs.get(oneof.name);
      if (other !== undefined) issues.push({ path: at, message: `oneof ${oneof.name} already has ${JSON.stringify(other)} set` });
      setOneofs.set(oneof.name, field.name);
    }
    out[field.name] = fieldToProtobuf(field, item, at, issues, depth);
  }
  return out;
}

function fieldToProtobuf(field: Field, value: unknown, path: string, issues: ValidationIssue[], depth: number): unknown {
  if (field.map) {
    if (!isPlainObject(value)) return fail(issues, path, 'must be an object (map)');
    const out: Record<string, unknown> = {};
    const keyType = (field as unknown as protobuf.MapField).keyType;
    for (const [key, item] of Object.entries(value)) {
      if (keyType !== 'string' && keyType !== 'bool' && !DECIMAL.test(key)) issues.push({ path: pointer(path, key), message: `map key must be a ${keyType}` });
      out[key] = single(field, item, pointer(path, key), issues, depth);
    }
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return fail(issues, path, 'must be an array (repeated field)');
    return value.map((item, i) => single(field, item, pointer(path, i), issues, depth));
  }
  return single(field, value, path, issues, depth);
}

function fail(issues: ValidationIssue[], path: string, message: string): undefined {
  issues.push({ path, message });
  return undefined;
}

function integerIn(value: unknown, min: bigint, max: bigint): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value) && BigInt(value) >= min && BigInt(value) <= max;
  if (typeof value === 'string' && DECIMAL.test(value)) return BigInt(value) >= min && BigInt(value) <= max;
  return false;
}

function single(field: Field, value: unknown, path: string, issues: ValidationIssue[], depth: number): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return jsonToProtobuf(resolved, value, path, issues, depth + 1);
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string' && value in resolved.values) return value;
    if (Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31) return value;
    return fail(issues, path, `must be one of ${Object.keys(resolved.values).map((v) => JSON.stringify(v)).join(', ')} (enum ${resolved.name})`);
  }
  const type = field.type;
  if (INT32.has(type)) return integerIn(value, -(2n ** 31n), 2n ** 31n - 1n) ? Number(value) : fail(issues, path, `must be an integer within the ${type} range`);
  if (UINT32.has(type)) return integerIn(value, 0n, 2n ** 32n - 1n) ? Number(value) : fail(issues, path, `must be an integer within the ${type} range`);
  if (INT64.has(type)) return integerIn(value, -INT64_MAX - 1n, INT64_MAX) ? String(value) : fail(issues, path, `must be a decimal string or safe integer within the ${type} range`);
  if (UINT64.has(type)) return integerIn(value, 0n, 2n ** 64n - 1n) ? String(value) : fail(issues, path, `must be a decimal string or safe integer within the ${type} range`);
  if (FLOATS.has(type)) {
    if (typeof value === 'number') return value;
    if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
    return fail(issues, path, 'must be a number');
  }
  switch (type) {
    case 'bool':
      return typeof value === 'boolean' ? value : fail(issues, path, 'must be a boolean');
    case 'string':
      return typeof value === 'string' ? value : fail(issues, path, 'must be a string');
    case 'bytes':
      return typeof value === 'string' && BASE64.test(value) ? value : fail(issues, path, 'must be standard padded base64 (bytes)');
    default:
      return fail(issues, path, `has unsupported type ${type}`);
  }
}

function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** A decoded message as JSON (see the top of the file). */
export function protobufToJson(type: Type, message: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const present = Object.prototype.hasOwnProperty.call(message, field.name);
    if (field.partOf !== null && !present) continue; // an unset oneof member or proto3 optional
    const value = message[field.name];
    if (field.map) {
      const entries: Record<string, unknown> = {};
      const keyType = (field as unknown as protobuf.MapField).keyType;
      for (const [key, item] of Object.entries((value ?? {}) as Record<string, unknown>)) entries[mapKeyText(key, keyType)] = scalarOrMessage(field, item);
      out[field.name] = entries;
    } else if (field.repeated) {
      out[field.name] = ((value ?? []) as unknown[]).map((item) => scalarOrMessage(field, item));
    } else if (field.resolvedType instanceof protobuf.Type) {
      if (value !== null && value !== undefined) out[field.name] = scalarOrMessage(field, value);
    } else {
      out[field.name] = scalarOrMessage(field, value ?? field.typeDefault);
    }
  }
  return out;
}

function scalarOrMessage(field: Field, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return protobufToJson(resolved, value as Record<string, unknown>);
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[value as number] ?? value;
  if (INT64.has(field.type) || UINT64.has(field.type)) return longText(value, UINT64.has(field.type));
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  if (FLOATS.has(field.type) && typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/**
 * protobufjs keys a decoded map with 64-bit keys by the 8-byte hash of the key (util.longToHash):
 * the JSON key is the decimal number, as the bridge accepts it.
 */
function mapKeyText(key: string, keyType: string): string {
  if (!(INT64.has(keyType) || UINT64.has(keyType)) || key.length !== 8) return key;
  const bits = protobuf.util.LongBits.fromHash(key);
  return longText({ low: bits.lo, high: bits.hi }, UINT64.has(keyType));
}

function longText(value: unknown, unsigned: boolean): string {
  if (typeof value === 'number') return String(value);
  const long = value as { low: number; high: number; unsigned?: boolean };
  const big = (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
  return (unsigned ? big : BigInt.asIntN(64, big)).toString();
}
