/**
 * Avro schema resolution (the Avro specification's "Schema Resolution", which Confluent's
 * AvroSchema compatibility applies through Avro's SchemaCompatibility): can a reader with schema R
 * decode data written with schema W? Issue types are Avro's SchemaIncompatibilityType names, which
 * Confluent shows in its verbose compatibility messages.
 *
 *  - named types (record, enum, fixed) match when their unqualified names are equal or one of the
 *    reader's aliases names the writer;
 *  - record: every reader field must exist in the writer (by name or one of the reader field's
 *    aliases) or have a default; writer fields the reader lacks are skipped; matching fields
 *    resolve recursively;
 *  - enum: every writer symbol must be a reader symbol, unless the reader has a default symbol;
 *  - fixed: same size;
 *  - array / map: items / values resolve;
 *  - promotions: int -> long, float, double; long -> float, double; float -> double;
 *    string <-> bytes;
 *  - a writer union: every branch must resolve against the reader; a reader union (writer not a
 *    union): some branch must resolve against the writer.
 * Logical types resolve as their underlying types (the registry parses without them).
 */
import type { Type } from 'avsc';
import type { CompatibilityIssue } from '../parsed-schema.js';

type Kind = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string' | 'record' | 'enum' | 'fixed' | 'array' | 'map' | 'union';

interface AvroField {
  readonly name: string;
  readonly type: Type;
}

export function avroKind(type: Type): Kind {
  const name = type.typeName;
  if (name.startsWith('union')) return 'union';
  if (name === 'error' || name === 'request') return 'record';
  return name as Kind;
}

const PROMOTIONS: Readonly<Record<string, readonly Kind[]>> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function shortName(fullName: string | undefined): string {
  if (fullName === undefined) return '';
  const dot = fullName.lastIndexOf('.');
  return dot < 0 ? fullName : fullName.slice(dot + 1);
}

/** A named type's or field's aliases (avsc keeps them behind getAliases(), which its typings omit). */
export function aliasesOf(typeOrField: object): string[] {
  const getter = (typeOrField as { getAliases?: () => string[] }).getAliases;
  return typeof getter === 'function' ? getter.call(typeOrField) : [];
}

function namesMatch(reader: Type, writer: Type): boolean {
  const writerName = writer.name ?? '';
  if (shortName(reader.name) === shortName(writerName)) return true;
  return aliasesOf(reader).some((alias) => alias === writerName || shortName(alias) === shortName(writerName));
}

function hasDefault(field: AvroField): boolean {
  return Object.prototype.hasOwnProperty.call(field, 'defaultValue');
}

/** Issues reading data written with `writer` using `reader`; empty when it can. */
export function avroReaderIssues(reader: Type, writer: Type): CompatibilityIssue[] {
  const issues: CompatibilityIssue[] = [];
  check(reader, writer, '', issues, new Set());
  return issues;
}

function check(reader: Type, writer: Type, path: string, issues: CompatibilityIssue[], seen: Set<string>): void {
  const readerKind = avroKind(reader);
  const writerKind = avroKind(writer);
  // Recursive named types: a pair already being checked is assumed to resolve (it resolves iff
  // everything else does), which ends the recursion.
  if (reader.name !== undefined && writer.name !== undefined) {
    const pair = `${reader.name}\u0000${writer.name}`;
    if (seen.has(pair)) return;
    seen = new Set(seen).add(pair);
  }
  if (writerKind === 'union') {
    const branches = (writer as unknown as { types: Type[] }).types;
    branches.forEach((branch, i) => {
      const sub: CompatibilityIssue[] = [];
      check(reader, branch, `${path}/${i}`, sub, seen);
      if (sub.length > 0) {
        issues.push({
          type: 'MISSING_UNION_BRANCH',
          path: `${path}/${i}`,
          message: `reader type ${describe(reader)} cannot read the writer's union branch ${describe(branch)}: ${sub[0].message}`,
        });
      }
    });
    return;
  }
  if (readerKind === 'union') {
    const branches = (reader as unknown as { types: Type[] }).types;
    for (const branch of branches) {
      const sub: CompatibilityIssue[] = [];
      check(branch, writer, path, sub, seen);
      if (sub.length === 0) return;
    }
    issues.push({ type: 'MISSING_UNION_BRANCH', path, message: `the reader union ${describe(reader)} has no branch that reads the writer's ${describe(writer)}` });
    return;
  }
  if (readerKind !== writerKind) {
    if (PROMOTIONS[writerKind]?.includes(readerKind)) return;
    issues.push({ type: 'TYPE_MISMATCH', path, message: `reader type ${describe(reader)} does not match writer type ${describe(writer)}` });
    return;
  }
  switch (readerKind) {
    case 'record':
      return checkRecord(reader, writer, path, issues, seen);
    case 'enum': {
      if (!namesMatch(reader, writer)) return nameMismatch(reader, writer, path, issues);
      const readerSymbols = new Set((reader as unknown as { symbols: string[] }).symbols);
      const missing = (writer as unknown as { symbols: string[] }).symbols.filter((s) => !readerSymbols.has(s));
      const readerDefault = (reader as unknown as { default?: string }).default;
      if (missing.length > 0 && readerDefault === undefined) {
        issues.push({ type: 'MISSING_ENUM_SYMBOLS', path: `${path}/symbols`, message: `the reader's enum ${reader.name} lacks the writer's symbols [${missing.join(', ')}] and has no default` });
      }
      return;
    }
    case 'fixed': {
      if (!namesMatch(reader, writer)) return nameMismatch(reader, writer, path, issues);
      const readerSize = (reader as unknown as { size: number }).size;
      const writerSize = (writer as unknown as { size: number }).size;
      if (readerSize !== writerSize) {
        issues.push({ type: 'FIXED_SIZE_MISMATCH', path: `${path}/size`, message: `the reader's fixed ${reader.name} has size ${readerSize}, the writer's ${writerSize}` });
      }
      return;
    }
    case 'array':
      return check((reader as unknown as { itemsType: Type }).itemsType, (writer as unknown as { itemsType: Type }).itemsType, `${path}/items`, issues, seen);
    case 'map':
      return check((reader as unknown as { valuesType: Type }).valuesType, (writer as unknown as { valuesType: Type }).valuesType, `${path}/values`, issues, seen);
    default:
      return; // the same primitive
  }
}

function checkRecord(reader: Type, writer: Type, path: string, issues: CompatibilityIssue[], seen: Set<string>): void {
  if (!namesMatch(reader, writer)) return nameMismatch(reader, writer, path, issues);
  const writerFields = (writer as unknown as { fields: AvroField[] }).fields;
  const byName = new Map(writerFields.map((f) => [f.name, f]));
  (reader as unknown as { fields: AvroField[] }).fields.forEach((field, i) => {
    const writerField = byName.get(field.name) ?? aliasesOf(field).map((alias) => byName.get(alias)).find((f) => f !== undefined);
    if (writerField === undefined) {
      if (!hasDefault(field)) {
        issues.push({
          type: 'READER_FIELD_MISSING_DEFAULT_VALUE',
          path: `${path}/fields/${i}`,
          message: `the reader's field ${JSON.stringify(field.name)} of ${reader.name} is missing from the writer and has no default`,
        });
      }
      return;
    }
    check(field.type, writerField.type, `${path}/fields/${i}/type`, issues, seen);
  });
}

function nameMismatch(reader: Type, writer: Type, path: string, issues: CompatibilityIssue[]): void {
  issues.push({ type: 'NAME_MISMATCH', path: `${path}/name`, message: `the reader's type name ${reader.name} does not match the writer's ${writer.name}` });
}

function describe(type: Type): string {
  const kind = avroKind(type);
  return type.name !== undefined ? `${kind} ${type.name}` : kind;
}
