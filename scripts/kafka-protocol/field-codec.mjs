/**
 * Per-field read expressions and write statements, with version conditions folded in and the
 * compact (flexible) or classic encodings chosen per version.
 */
import { intersect } from './common.mjs';
import { elementMinBytes } from './field-types.mjs';

/** A version condition as a TypeScript expression, simplified against the valid versions. */
export function cond(range, valid) {
  const r = intersect(range, valid);
  if (!r) return 'false';
  const parts = [];
  if (r[0] === r[1] && valid[0] !== valid[1]) return `version === ${r[0]}`;
  if (r[0] > valid[0]) parts.push(`version >= ${r[0]}`);
  if (r[1] < valid[1]) parts.push(`version <= ${r[1]}`);
  return parts.length === 0 ? 'true' : parts.join(' && ');
}

const ELEMENT = {
  bool: 'Bool',
  int8: 'Int8',
  int16: 'Int16',
  uint16: 'UInt16',
  int32: 'Int32',
  uint32: 'UInt32',
  int64: 'Int64',
  float64: 'Float64',
  string: 'String',
  bytes: 'Bytes',
  records: 'Bytes',
  uuid: 'Uuid',
};

function compactExpr(field, model) {
  if (field.flexibleOverride !== undefined) return cond(field.flexibleOverride, model.valid);
  return model.flexible ? 'flexible' : 'false';
}

export function readExpr(field, model, what) {
  const { type } = field;
  const compact = compactExpr(field, model);
  const nullableCond = cond(field.nullable, intersect(field.versions, model.valid));
  const nullableType = field.nullable !== null;
  const w = JSON.stringify(what);
  if (type.kind === 'array') {
    const el = type.element;
    const fn = el.kind === 'struct' ? `read${el.struct.tsName}` : el.kind === 'primitive' ? `kr.read${ELEMENT[el.primitive]}Element` : null;
    if (!fn) throw new Error(`${field.where}: arrays of arrays are not supported`);
    const min = elementMinBytes(field, model);
    return nullableType
      ? `kr.readNullableArray(r, ${compact}, ${nullableCond}, ${min}, ${fn}, version, ${w})`
      : `kr.readArray(r, ${compact}, ${min}, ${fn}, version, ${w})`;
  }
  if (type.kind === 'struct') {
    return nullableType
      ? `kr.readNullableStruct(r, ${nullableCond}, read${type.struct.tsName}, version, ${w})`
      : `read${type.struct.tsName}(r, version)`;
  }
  switch (type.primitive) {
    case 'bool':
      return 'kr.readBool(r)';
    case 'int8':
      return 'r.readInt8()';
    case 'int16':
      return 'r.readInt16()';
    case 'uint16':
      return 'r.readUInt16()';
    case 'int32':
      return 'r.readInt32()';
    case 'uint32':
      return 'r.readUInt32()';
    case 'int64':
      return `r.readInt64(${w})`;
    case 'float64':
      return 'r.readFloat64()';
    case 'uuid':
      return `kr.readUuid(r, ${w})`;
    case 'string':
      return nullableType ? `kr.readNullableString(r, ${compact}, ${nullableCond}, ${w})` : `kr.readString(r, ${compact}, ${w})`;
    case 'bytes':
      return nullableType ? `kr.readNullableBytes(r, ${compact}, ${nullableCond}, ${w})` : `kr.readBytes(r, ${compact}, ${w})`;
    case 'records':
      return `kr.readNullableBytes(r, ${compact}, ${nullableType ? nullableCond : 'false'}, ${w})`;
  }
  throw new Error(`${field.where}: no reader for ${field.jsonType}`);
}

export function writeStmt(field, model, what) {
  const { type } = field;
  const compact = compactExpr(field, model);
  const nullableCond = cond(field.nullable, intersect(field.versions, model.valid));
  const value = `v.${field.prop}`;
  const w = JSON.stringify(what);
  if (type.kind === 'array') {
    const el = type.element;
    const fn = el.kind === 'struct' ? `write${el.struct.tsName}` : `kw.write${ELEMENT[el.primitive]}Element`;
    return `kw.writeArray(w, ${value}, ${compact}, ${nullableCond}, ${fn}, version, ${w});`;
  }
  if (type.kind === 'struct') {
    return field.nullable !== null
      ? `kw.writeNullableStruct(w, ${value}, ${nullableCond}, write${type.struct.tsName}, version, ${w});`
      : `write${type.struct.tsName}(w, ${value}, version);`;
  }
  switch (type.primitive) {
    case 'bool':
      return `w.writeInt8(${value} ? 1 : 0);`;
    case 'int8':
      return `w.writeInt8(${value});`;
    case 'int16':
      return `w.writeInt16(${value});`;
    case 'uint16':
      return `w.writeUInt16(${value});`;
    case 'int32':
      return `w.writeInt32(${value});`;
    case 'uint32':
      return `w.writeUInt32(${value});`;
    case 'int64':
      return `w.writeInt64(${value}, ${w});`;
    case 'float64':
      return `w.writeFloat64(${value});`;
    case 'uuid':
      return `kw.writeUuid(w, ${value}, ${w});`;
    case 'string':
      return `kw.writeString(w, ${value}, ${compact}, ${nullableCond}, ${w});`;
    case 'bytes':
      return `kw.writeBytes(w, ${value}, ${compact}, ${nullableCond}, ${w});`;
    case 'records':
      return `kw.writeBytes(w, ${value}, ${compact}, ${field.nullable !== null ? nullableCond : 'false'}, ${w});`;
  }
  throw new Error(`${field.where}: no writer for ${field.jsonType}`);
}
