/**
 * Protobuf compatibility as Confluent's Protobuf provider defines it: the two files are compared
 * element by element (original = the schema data was written with, update = the reader's) and
 * every difference is classified; the compatible kinds are
 *   MESSAGE_ADDED, MESSAGE_MOVED, ENUM_ADDED, ENUM_REMOVED, ENUM_CONST_ADDED/CHANGED/REMOVED,
 *   FIELD_ADDED, FIELD_REMOVED, FIELD_NAME_CHANGED, ONEOF_ADDED, ONEOF_REMOVED, ONEOF_FIELD_ADDED,
 * and everything else is incompatible:
 *   PACKAGE_CHANGED, MESSAGE_REMOVED (so adding a message is not FORWARD compatible),
 *   FIELD_KIND_CHANGED (scalar / message / map), FIELD_SCALAR_KIND_CHANGED (across the wire-type
 *   groups: int32 int64 uint32 uint64 bool and enums | sint32 sint64 | string bytes | fixed32
 *   sfixed32 | fixed64 sfixed64 | float | double), FIELD_NAMED_TYPE_CHANGED (another message type),
 *   REQUIRED_FIELD_ADDED, REQUIRED_FIELD_REMOVED, ONEOF_FIELD_REMOVED (a member gone from the whole
 *   message), MULTIPLE_FIELDS_MOVED_TO_ONEOF, FIELD_MOVED_TO_EXISTING_ONEOF.
 * Fields are matched by number. proto3 `optional` fields are plain fields here (their synthetic
 * oneofs are not oneofs). A field whose message type comes from a reference is compared by name.
 */
import protobuf from 'protobufjs';
import type { CompatibilityIssue } from '../parsed-schema.js';

type Type = protobuf.Type;
type Field = protobuf.Field;

const SCALAR_GROUPS: Readonly<Record<string, string>> = {
  int32: 'GENERAL_NUMBER',
  int64: 'GENERAL_NUMBER',
  uint32: 'GENERAL_NUMBER',
  uint64: 'GENERAL_NUMBER',
  bool: 'GENERAL_NUMBER',
  sint32: 'SIGNED_NUMBER',
  sint64: 'SIGNED_NUMBER',
  string: 'STRING_OR_BYTES',
  bytes: 'STRING_OR_BYTES',
  fixed32: 'FIXED32',
  sfixed32: 'FIXED32',
  fixed64: 'FIXED64',
  sfixed64: 'FIXED64',
  float: 'FLOAT',
  double: 'DOUBLE',
};

/** One .proto file's content: its package and its top-level types, resolved against the whole root. */
export interface ProtoFile {
  readonly packageName: string;
  readonly types: readonly protobuf.ReflectionObject[];
}

class Context {
  readonly issues: CompatibilityIssue[] = [];
  private readonly seen = new Set<string>();

  add(type: string, path: string, message: string): void {
    this.issues.push({ type, path, message });
  }

  /** Enters a message pair once (recursive message types). */
  enter(original: Type, update: Type): boolean {
    const key = `${original.fullName}\u0000${update.fullName}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

export function protobufIssues(original: ProtoFile, update: ProtoFile): CompatibilityIssue[] {
  const ctx = new Context();
  if (original.packageName !== update.packageName) {
    ctx.add('PACKAGE_CHANGED', '', `the package changed from ${JSON.stringify(original.packageName)} to ${JSON.stringify(update.packageName)}`);
  }
  compareTypes(ctx, original.types, update.types, '');
  return ctx.issues;
}

function compareTypes(ctx: Context, original: readonly protobuf.ReflectionObject[], update: readonly protobuf.ReflectionObject[], path: string): void {
  const messages = (list: readonly protobuf.ReflectionObject[]): Map<string, Type> => new Map(list.filter((t): t is Type => t instanceof protobuf.Type).map((t) => [t.name, t]));
  const before = messages(original);
  const after = messages(update);
  for (const [name, message] of before) {
    const at = path ? `${path}.${name}` : name;
    const updated = after.get(name);
    if (updated === undefined) ctx.add('MESSAGE_REMOVED', at, `message ${message.fullName.slice(1)} was removed`);
    else compareMessage(ctx, message, updated, at);
  }
  // Enums: added, removed and changed constants are all compatible (unknown values are kept).
}

function fieldsByTag(fields: readonly Field[]): Map<number, Field> {
  return new Map(fields.map((f) => [f.id, f]));
}

/** Real oneofs: a proto3 `optional` field's synthetic oneof (one member, named _<field>) is not one. */
function realOneofs(type: Type): protobuf.OneOf[] {
  return type.oneofsArray.filter((o) => !(o.oneof.length === 1 && o.name === `_${o.oneof[0]}` && type.fields[o.oneof[0]]?.options?.proto3_optional === true));
}

function compareMessage(ctx: Context, original: Type, update: Type, path: string): void {
  if (!ctx.enter(original, update)) return;
  const originalOneofs = realOneofs(original);
  const updateOneofs = realOneofs(update);
  const inOneof = (type: Type, oneofs: protobuf.OneOf[]): Set<number> => new Set(oneofs.flatMap((o) => o.oneof.map((name) => type.fields[name].id)));
  const originalOneofTags = inOneof(original, originalOneofs);
  const updateOneofTags = inOneof(update, updateOneofs);
  const originalTop = fieldsByTag(original.fieldsArray.filter((f) => !originalOneofTags.has(f.id)));
  const updateTop = fieldsByTag(update.fieldsArray.filter((f) => !updateOneofTags.has(f.id)));
  const originalAll = fieldsByTag(original.fieldsArray);
  const updateAll = fieldsByTag(update.fieldsArray);

  for (const oneof of updateOneofs) {
    let moved = 0;
    let existing = 0;
    for (const name of oneof.oneof) {
      const tag = update.fields[name].id;
      if (originalTop.delete(tag)) moved++;
      else if (originalOneofTags.has(tag)) existing++;
    }
    if (moved > 1) ctx.add('MULTIPLE_FIELDS_MOVED_TO_ONEOF', `${path}.${oneof.name}`, `${moved} fields were moved into oneof ${oneof.name}`);
    else if (moved === 1 && existing > 0) ctx.add('FIELD_MOVED_TO_EXISTING_ONEOF', `${path}.${oneof.name}`, `a field was moved into the existing oneof ${oneof.name}`);
  }
  const beforeOneofs = new Map(originalOneofs.map((o) => [o.name, o]));
  for (const oneof of updateOneofs) {
    const previous = beforeOneofs.get(oneof.name);
    if (previous === undefined) continue; // ONEOF_ADDED
    const previousTags = new Map(previous.oneof.map((name) => [original.fields[name].id, original.fields[name]]));
    const currentTags = new Map(oneof.oneof.map((name) => [update.fields[name].id, update.fields[name]]));
    for (const [tag, field] of previousTags) {
      const current = currentTags.get(tag);
      if (current !== undefined) compareField(ctx, field, current, `${path}.${oneof.name}.${tag}`);
      else if (!updateAll.has(tag)) ctx.add('ONEOF_FIELD_REMOVED', `${path}.${oneof.name}.${tag}`, `field ${field.name} = ${tag} was removed from oneof ${oneof.name}`);
    }
  }
  for (const tag of new Set([...originalTop.keys(), ...updateTop.keys()])) {
    const before = originalTop.get(tag);
    const after = updateTop.get(tag);
    const at = `${path}.${tag}`;
    if (after === undefined) {
      if (before!.required) ctx.add('REQUIRED_FIELD_REMOVED', at, `required field ${before!.name} = ${tag} was removed`);
    } else if (before === undefined) {
      if (after.required && !originalAll.has(tag)) ctx.add('REQUIRED_FIELD_ADDED', at, `required field ${after.name} = ${tag} was added`);
    } else {
      compareField(ctx, before, after, at);
    }
  }
  // Fields whose oneof membership changed are compared by number too.
  for (const [tag, before] of originalAll) {
    const after = updateAll.get(tag);
    if (after === undefined) continue;
    const beforeOneof = originalOneofTags.has(tag) ? before.partOf?.name : undefined;
    const afterOneof = updateOneofTags.has(tag) ? after.partOf?.name : undefined;
    if (beforeOneof === afterOneof) continue;
    compareField(ctx, before, after, `${path}.${tag}`);
  }
  compareTypes(ctx, original.nestedArray, update.nestedArray, path);
}

type Kind = 'SCALAR' | 'MESSAGE' | 'MAP';

function kindOf(field: Field): Kind {
  if (field.map) return 'MAP';
  if (field.resolvedType instanceof protobuf.Type) return 'MESSAGE';
  return 'SCALAR';
}

function scalarGroup(type: string, resolved: protobuf.ReflectionObject | null): string {
  if (resolved instanceof protobuf.Enum) return 'GENERAL_NUMBER';
  return SCALAR_GROUPS[type] ?? type;
}

function localName(type: protobuf.ReflectionObject): string {
  // The name within its package: enclosing messages count, packages do not.
  const parts: string[] = [];
  for (let node: protobuf.ReflectionObject | null = type; node !== null && node instanceof protobuf.Type; node = node.parent) parts.unshift(node.name);
  return parts.join('.');
}

function compareField(ctx: Context, before: Field, after: Field, path: string): void {
  const beforeKind = kindOf(before);
  const afterKind = kindOf(after);
  if (beforeKind !== afterKind) {
    ctx.add('FIELD_KIND_CHANGED', path, `field ${after.name} changed from a ${beforeKind.toLowerCase()} to a ${afterKind.toLowerCase()}`);
    return;
  }
  if (beforeKind === 'MAP') {
    const beforeMap = before as unknown as protobuf.MapField;
    const afterMap = after as unknown as protobuf.MapField;
    if (scalarGroup(beforeMap.keyType, null) !== scalarGroup(afterMap.keyType, null)) ctx.add('FIELD_SCALAR_KIND_CHANGED', path, `map key of ${after.name} changed from ${beforeMap.keyType} to ${afterMap.keyType}`);
  }
  const beforeValue = before.resolvedType instanceof protobuf.Type ? 'MESSAGE' : 'SCALAR';
  const afterValue = after.resolvedType instanceof protobuf.Type ? 'MESSAGE' : 'SCALAR';
  if (beforeValue !== afterValue) {
    ctx.add('FIELD_KIND_CHANGED', path, `field ${after.name} changed between a scalar and a message`);
  } else if (beforeValue === 'SCALAR') {
    if (scalarGroup(before.type, before.resolvedType) !== scalarGroup(after.type, after.resolvedType)) {
      ctx.add('FIELD_SCALAR_KIND_CHANGED', path, `field ${after.name} changed from ${before.type} to ${after.type}, which are not wire-compatible`);
    }
  } else {
    const beforeType = before.resolvedType as Type;
    const afterType = after.resolvedType as Type;
    if (localName(beforeType) !== localName(afterType)) {
      ctx.add('FIELD_NAMED_TYPE_CHANGED', path, `field ${after.name} changed from message ${beforeType.fullName.slice(1)} to ${afterType.fullName.slice(1)}`);
    }
  }
}
