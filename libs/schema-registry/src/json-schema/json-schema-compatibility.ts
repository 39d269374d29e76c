/**
 * JSON Schema compatibility as Confluent defines it: the update (the new schema for BACKWARD)
 * must accept every document the original accepted. Each change between the two is classified
 * with Confluent's difference names; the ones that can reject a document the original accepted
 * are incompatible and reported:
 *
 *  - type: changed -> TYPE_CHANGED; integer -> number is TYPE_EXTENDED (fine), number -> integer
 *    TYPE_NARROWED; anything -> {} / true, or false -> anything, is fine;
 *  - string / number / array / object bounds: adding a bound or tightening one (maxLength
 *    decreased, minimum increased, pattern added or changed, multipleOf not dividing the old one,
 *    uniqueItems added, ...) is incompatible; removing or loosening is fine;
 *  - enum: extended is fine, anything else incompatible; const changed incompatible;
 *  - object properties, by the content model: a property removed is fine only if the update is an
 *    open content model (no additionalProperties: false / schema, no patternProperties) or its
 *    partially open model covers the old property's schema, or the removed property was `false`;
 *    a property added to an open original is incompatible unless its schema is empty (the old
 *    model allowed any value there); added to a closed original it is fine unless required
 *    without a default; required added without a default incompatible, removed fine;
 *    additionalProperties removed (closed) or narrowed incompatible, added or extended fine;
 *    dependencies added or extended incompatible;
 *  - array items: the same content-model rules per tuple position; additionalItems likewise;
 *  - allOf / anyOf / oneOf: criterion may loosen (to anyOf; singleton to oneOf); a sum (anyOf,
 *    oneOf) may gain subschemas, a product (allOf) may lose them; the old and new subschemas must
 *    pair up compatibly (maximum matching) over the smaller side; a non-union original may become
 *    a union if one branch accepts it (SUM_TYPE_EXTENDED);
 *  - not: the negated schema must narrow (NOT_TYPE_NARROWED), else NOT_TYPE_EXTENDED.
 * title, description, default and $id changes never matter.
 */
import type { CompatibilityIssue } from '../parsed-schema.js';
import { RefResolver, viewOf, type SchemaView } from './json-schema-view.js';

type Side = { readonly refs: RefResolver };

class Diff {
  readonly issues: CompatibilityIssue[] = [];
  constructor(
    readonly original: Side,
    readonly update: Side,
    private readonly visiting: Set<string>,
    private readonly ids: { readonly map: WeakMap<object, number>; next: number },
  ) {}

  sub(): Diff {
    return new Diff(this.original, this.update, this.visiting, this.ids);
  }

  add(type: string, path: string, message: string): void {
    this.issues.push({ type, path: path || '#/', message });
  }

  idOf(value: unknown): number {
    if (typeof value !== 'object' || value === null) return value === true ? -1 : -2;
    let id = this.ids.map.get(value);
    if (id === undefined) {
      id = ++this.ids.next;
      this.ids.map.set(value, id);
    }
    return id;
  }

  /** Runs `fn` unless the pair is already being compared (recursive schemas: assumed compatible). */
  guard(a: SchemaView, b: SchemaView, fn: () => void): void {
    const key = `${this.idOf(a.source)}:${this.idOf(b.source)}`;
    if (this.visiting.has(key)) return;
    this.visiting.add(key);
    try {
      fn();
    } finally {
      this.visiting.delete(key);
    }
  }
}

/** Issues making `update` reject documents `original` accepted; empty when compatible. */
export function jsonSchemaIssues(original: unknown, originalRefs: RefResolver, update: unknown, updateRefs: RefResolver): CompatibilityIssue[] {
  const diff = new Diff({ refs: originalRefs }, { refs: updateRefs }, new Set(), { map: new WeakMap(), next: 0 });
  compare(diff, original, update, '#');
  return diff.issues;
}

function compare(diff: Diff, originalSchema: unknown, updateSchema: unknown, path: string): void {
  if (originalSchema === undefined && updateSchema === undefined) return;
  if (updateSchema === undefined) return; // SCHEMA_REMOVED: fine
  if (originalSchema === undefined) return diff.add('SCHEMA_ADDED', path, 'a schema was added where there was none');
  const original = viewOf(originalSchema, diff.original.refs);
  const update = viewOf(updateSchema, diff.update.refs);
  if (original.kind !== 'combined' && update.kind === 'combined') {
    const subs = update.subschemas!;
    if (subs.length === 1 || update.criterion !== 'allOf') {
      for (const candidate of subs) {
        const trial = diff.sub();
        compare(trial, originalSchema, candidate, path);
        if (trial.issues.length === 0) return; // singleton union, or SUM_TYPE_EXTENDED
      }
    }
  } else if (original.kind === 'combined' && update.kind !== 'combined' && original.subschemas!.length === 1) {
    const trial = diff.sub();
    compare(trial, original.subschemas![0], updateSchema, path);
    if (trial.issues.length === 0) return;
  }
  if (original.kind !== update.kind) {
    if (original.kind === 'false' || update.kind === 'empty') return;
    return diff.add('TYPE_CHANGED', path, `the type changed from ${describe(original)} to ${describe(update)}`);
  }
  diff.guard(original, update, () => {
    switch (original.kind) {
      case 'string':
        return compareString(diff, original.raw, update.raw, path);
      case 'number':
        return compareNumber(diff, original, update, path);
      case 'enum':
        return compareEnum(diff, original.raw, update.raw, path);
      case 'const':
        if (JSON.stringify(original.raw.const) !== JSON.stringify(update.raw.const)) diff.add('CONST_CHANGED', path, 'const changed');
        return;
      case 'combined':
        return compareCombined(diff, original, update, path);
      case 'not': {
        // not A accepts all that not B accepts iff B accepts all that A accepts.
        const trial = diff.sub();
        compare(trial, update.not, original.not, `${path}/not`);
        if (trial.issues.length > 0) diff.add('NOT_TYPE_EXTENDED', `${path}/not`, 'the negated schema accepts more than before, so the schema accepts less');
        return;
      }
      case 'object':
        return compareObject(diff, original.raw, update.raw, path);
      case 'array':
        return compareArray(diff, original.raw, update.raw, path);
      default:
        return;
    }
  });
}

function describe(view: SchemaView): string {
  if (view.kind === 'number') return view.integer ? 'integer' : 'number';
  return view.kind === 'empty' ? 'any' : view.kind;
}

function num(raw: Record<string, unknown>, key: string): number | undefined {
  const value = raw[key];
  return typeof value === 'number' ? value : undefined;
}

/** Bounds where the update may only loosen: an upper bound may rise or go, a lower bound fall or go. */
function compareBound(diff: Diff, original: Record<string, unknown>, update: Record<string, unknown>, key: string, upper: boolean, path: string, name: string): void {
  const before = num(original, key);
  const after = num(update, key);
  if (before === after || after === undefined) return;
  if (before === undefined) return diff.add(`${name}_ADDED`, `${path}/${key}`, `${key} ${after} was added`);
  if (upper ? after < before : after > before) diff.add(`${name}_${upper ? 'DECREASED' : 'INCREASED'}`, `${path}/${key}`, `${key} went from ${before} to ${after}`);
}

function compareString(diff: Diff, original: Record<string, unknown>, update: Record<string, unknown>, path: string): void {
  compareBound(diff, original, update, 'maxLength', true, path, 'MAX_LENGTH');
  compareBound(diff, original, update, 'minLength', false, path, 'MIN_LENGTH');
  if (update.pattern !== undefined && update.pattern !== original.pattern) {
    diff.add(original.pattern === undefined ? 'PATTERN_ADDED' : 'PATTERN_CHANGED', `${path}/pattern`, `pattern ${JSON.stringify(update.pattern)} ${original.pattern === undefined ? 'was added' : `replaced ${JSON.stringify(original.pattern)}`}`);
  }
}

function compareNumber(diff: Diff, original: SchemaView, update: SchemaView, path: string): void {
  if (!original.integer && update.integer) diff.add('TYPE_NARROWED', path, 'the type narrowed from number to integer');
  for (const [key, upper, name] of [
    ['maximum', true, 'MAXIMUM'],
    ['minimum', false, 'MINIMUM'],
    ['exclusiveMaximum', true, 'EXCLUSIVE_MAXIMUM'],
    ['exclusiveMinimum', false, 'EXCLUSIVE_MINIMUM'],
  ] as const) {
    compareBound(diff, original.raw, update.raw, key, upper, path, name);
  }
  const before = num(original.raw, 'multipleOf');
  const after = num(update.raw, 'multipleOf');
  if (after === undefined || before === after) return;
  if (before === undefined) return diff.add('MULTIPLE_OF_ADDED', `${path}/multipleOf`, `multipleOf ${after} was added`);
  const ratio = before / after;
  if (!(Number.isInteger(ratio) || Math.abs(ratio - Math.round(ratio)) < 1e-9)) {
    diff.add(after > before ? 'MULTIPLE_OF_EXPANDED' : 'MULTIPLE_OF_CHANGED', `${path}/multipleOf`, `multipleOf went from ${before} to ${after}, which does not divide it`);
  }
}

function compareEnum(diff: Diff, original: Record<string, unknown>, update: Record<string, unknown>, path: string): void {
  const before = Array.isArray(original.enum) ? original.enum.map((v) => JSON.stringify(v)) : [];
  const after = new Set(Array.isArray(update.enum) ? update.enum.map((v) => JSON.stringify(v)) : []);
  const missing = before.filter((v) => !after.has(v));
  if (missing.length > 0) diff.add(after.size < before.length ? 'ENUM_ARRAY_NARROWED' : 'ENUM_ARRAY_CHANGED', `${path}/enum`, `enum values ${missing.join(', ')} were removed`);
}

function compareCombined(diff: Diff, original: SchemaView, update: SchemaView, path: string): void {
  const from = original.criterion!;
  const to = update.criterion!;
  const before = dedupe(original.subschemas!);
  const after = dedupe(update.subschemas!);
  if (from !== to) {
    const loosened = to === 'anyOf' || (to === 'oneOf' && before.length === 1) || (to === 'allOf' && before.length === 1 && after.length === 1);
    if (!loosened) return diff.add('COMBINED_TYPE_CHANGED', path, `${from} changed to ${to}`);
  }
  if (after.length > before.length && to === 'allOf') diff.add('PRODUCT_TYPE_EXTENDED', `${path}/${to}`, `allOf gained ${after.length - before.length} subschemas`);
  if (after.length < before.length && to !== 'allOf') diff.add('SUM_TYPE_NARROWED', `${path}/${to}`, `${to} lost ${before.length - after.length} subschemas`);
  // Which old subschema each new one can stand for: a maximum bipartite matching (augmenting paths).
  const edges = before.map((o, i) =>
    after.map((u) => {
      const trial = diff.sub();
      compare(trial, o, u, `${path}/${from}/${i}`);
      return trial.issues.length === 0;
    }),
  );
  const matchOfUpdate = new Array<number>(after.length).fill(-1);
  const augment = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < after.length; j++) {
      if (!edges[i][j] || seen[j]) continue;
      seen[j] = true;
      if (matchOfUpdate[j] < 0 || augment(matchOfUpdate[j], seen)) {
        matchOfUpdate[j] = i;
        return true;
      }
    }
    return false;
  };
  let matched = 0;
  for (let i = 0; i < before.length; i++) if (augment(i, new Array<boolean>(after.length).fill(false))) matched++;
  if (matched < Math.min(before.length, after.length)) {
    diff.add('COMBINED_TYPE_SUBSCHEMAS_CHANGED', `${path}/${to}`, `the ${to} subschemas changed: only ${matched} of ${Math.min(before.length, after.length)} still accept what they accepted`);
  }
}

function dedupe(schemas: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  return schemas.filter((s) => {
    const key = JSON.stringify(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function objectOf(raw: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = raw[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function requiredOf(raw: Record<string, unknown>): Set<string> {
  return new Set(Array.isArray(raw.required) ? (raw.required as unknown[]).filter((r): r is string => typeof r === 'string') : []);
}

function isOpenObject(raw: Record<string, unknown>): boolean {
  return Object.keys(objectOf(raw, 'patternProperties')).length === 0 && (raw.additionalProperties === undefined || raw.additionalProperties === true);
}

/** The schema a partially open object gives `property`: a matching patternProperties entry, else additionalProperties' schema. */
function partialSchemaFor(raw: Record<string, unknown>, property: string): unknown {
  for (const [pattern, schema] of Object.entries(objectOf(raw, 'patternProperties'))) {
    try {
      if (new RegExp(pattern, 'u').test(property)) return schema;
    } catch {
      // An invalid pattern failed at compile time already; ignore it here.
    }
  }
  const additional = raw.additionalProperties;
  return typeof additional === 'object' && additional !== null ? additional : undefined;
}

function hasDefault(schema: unknown, refs: RefResolver): boolean {
  const resolved = refs.resolve(schema);
  return typeof resolved === 'object' && resolved !== null && 'default' in resolved;
}

function isEmptySchema(schema: unknown, refs: RefResolver): boolean {
  return viewOf(schema, refs).kind === 'empty';
}

function isFalseSchema(schema: unknown, refs: RefResolver): boolean {
  return viewOf(schema, refs).kind === 'false';
}

function compareObject(diff: Diff, original: Record<string, unknown>, update: Record<string, unknown>, path: string): void {
  const before = objectOf(original, 'properties');
  const after = objectOf(update, 'properties');
  const requiredBefore = requiredOf(original);
  const requiredAfter = requiredOf(update);
  for (const name of Object.keys(before)) {
    if (!(name in after)) continue;
    if (!requiredBefore.has(name) && requiredAfter.has(name) && !hasDefault(after[name], diff.update.refs)) {
      diff.add('REQUIRED_ATTRIBUTE_ADDED', `${path}/required/${name}`, `property ${JSON.stringify(name)} became required without a default`);
    }
  }
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const at = `${path}/properties/${name}`;
    if (!(name in after)) {
      if (isOpenObject(update)) continue; // PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL
      const partial = partialSchemaFor(update, name);
      if (partial !== undefined) {
        const trial = diff.sub();
        compare(trial, before[name], partial, at);
        if (trial.issues.length > 0) diff.add('PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, `property ${JSON.stringify(name)} was removed and the new model's schema for it does not accept its old values`);
      } else if (!isFalseSchema(before[name], diff.original.refs)) {
        diff.add('PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', at, `property ${JSON.stringify(name)} was removed from a closed content model`);
      }
    } else if (!(name in before)) {
      if (isOpenObject(original)) {
        if (!isEmptySchema(after[name], diff.update.refs)) diff.add('PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', at, `property ${JSON.stringify(name)} was added to an open content model, which allowed any value there`);
        continue;
      }
      const partial = partialSchemaFor(original, name);
      if (partial !== undefined) {
        const trial = diff.sub();
        compare(trial, partial, after[name], at);
        if (trial.issues.length > 0) diff.add('PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, `property ${JSON.stringify(name)} was added but does not accept what the old model allowed there`);
      }
      if (requiredAfter.has(name) && !hasDefault(after[name], diff.update.refs)) {
        diff.add('REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', at, `required property ${JSON.stringify(name)} was added without a default`);
      }
    } else {
      compare(diff, before[name], after[name], at);
    }
  }
  compareDependencies(diff, original, update, path);
  compareAdditional(diff, original.additionalProperties, update.additionalProperties, `${path}/additionalProperties`, 'ADDITIONAL_PROPERTIES');
  compareBound(diff, original, update, 'maxProperties', true, path, 'MAX_PROPERTIES');
  compareBound(diff, original, update, 'minProperties', false, path, 'MIN_PROPERTIES');
}

/** additionalProperties / additionalItems: absent or true = allowed; false = removed; a schema = narrowed. */
function compareAdditional(diff: Diff, before: unknown, after: unknown, path: string, name: string): void {
  const permits = (v: unknown): boolean => v !== false;
  const schemaOf = (v: unknown): unknown => (typeof v === 'object' && v !== null ? v : undefined);
  if (permits(before) !== permits(after)) {
    if (!permits(after)) diff.add(`${name}_REMOVED`, path, `${name.toLowerCase()} are no longer allowed`);
    return;
  }
  const beforeSchema = schemaOf(before);
  const afterSchema = schemaOf(after);
  if (beforeSchema === undefined && afterSchema !== undefined) return diff.add(`${name}_NARROWED`, path, 'a schema now restricts what was unrestricted');
  if (beforeSchema !== undefined && afterSchema !== undefined) compare(diff, beforeSchema, afterSchema, path);
}

function compareDependencies(diff: Diff, original: Record<string, unknown>, update: Record<string, unknown>, path: string): void {
  const arraysOf = (raw: Record<string, unknown>): Map<string, string[]> => {
    const out = new Map<string, string[]>();
    for (const key of ['dependencies', 'dependentRequired']) {
      for (const [name, value] of Object.entries(objectOf(raw, key))) if (Array.isArray(value)) out.set(name, value as string[]);
    }
    return out;
  };
  const schemasOf = (raw: Record<string, unknown>): Map<string, unknown> => {
    const out = new Map<string, unknown>();
    for (const key of ['dependencies', 'dependentSchemas']) {
      for (const [name, value] of Object.entries(objectOf(raw, key))) if (!Array.isArray(value)) out.set(name, value);
    }
    return out;
  };
  const arraysBefore = arraysOf(original);
  for (const [name, after] of arraysOf(update)) {
    const before = arraysBefore.get(name);
    const at = `${path}/dependencies/${name}`;
    if (before === undefined) diff.add('DEPENDENCY_ARRAY_ADDED', at, `a dependency of ${JSON.stringify(name)} was added`);
    else if (!after.every((d) => before.includes(d))) diff.add('DEPENDENCY_ARRAY_EXTENDED', at, `the dependencies of ${JSON.stringify(name)} grew`);
  }
  const schemasBefore = schemasOf(original);
  for (const [name, after] of schemasOf(update)) {
    const at = `${path}/dependencies/${name}`;
    if (!schemasBefore.has(name)) diff.add('DEPENDENCY_SCHEMA_ADDED', at, `a dependency schema for ${JSON.stringify(name)} was added`);
    else compare(diff, schemasBefore.get(name), after, at);
  }
}

interface ArrayModel {
  readonly all: unknown;
  readonly tuple: readonly unknown[];
  readonly additional: unknown;
}

/** Draft 7 (items: schema | [schemas], additionalItems) and 2020-12 (prefixItems, items) alike. */
function arrayModel(raw: Record<string, unknown>): ArrayModel {
  if (Array.isArray(raw.prefixItems)) return { all: undefined, tuple: raw.prefixItems, additional: raw.items };
  if (Array.isArray(raw.items)) return { all: undefined, tuple: raw.items, additional: raw.additionalItems };
  return { all: raw.items, tuple: [], additional: undefined };
}

function compareArray(diff: Diff, original: Record<string, unknown>, update: Record<string, unknown>, path: string): void {
  const before = arrayModel(original);
  const after = arrayModel(update);
  if (before.all !== undefined || after.all !== undefined) {
    if (after.all !== undefined && before.all === undefined) diff.add('ITEMS_NARROWED', `${path}/items`, 'an items schema now restricts the items');
    else compare(diff, before.all, after.all, `${path}/items`);
  }
  const isOpen = (model: ArrayModel): boolean => model.additional === undefined || model.additional === true;
  const partial = (model: ArrayModel): unknown => (typeof model.additional === 'object' && model.additional !== null ? model.additional : undefined);
  const common = Math.min(before.tuple.length, after.tuple.length);
  for (let i = 0; i < common; i++) compare(diff, before.tuple[i], after.tuple[i], `${path}/items/${i}`);
  for (let i = common; i < before.tuple.length; i++) {
    const at = `${path}/items/${i}`;
    if (isOpen(after)) continue;
    const schema = partial(after);
    if (schema !== undefined) {
      const trial = diff.sub();
      compare(trial, before.tuple[i], schema, at);
      if (trial.issues.length > 0) diff.add('ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, `tuple item ${i} was removed and additionalItems does not accept its old values`);
    } else if (!isFalseSchema(before.tuple[i], diff.original.refs)) {
      diff.add('ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL', at, `tuple item ${i} was removed from a closed content model`);
    }
  }
  for (let i = common; i < after.tuple.length; i++) {
    const at = `${path}/items/${i}`;
    if (isOpen(before)) {
      if (!isEmptySchema(after.tuple[i], diff.update.refs)) diff.add('ITEM_ADDED_TO_OPEN_CONTENT_MODEL', at, `tuple item ${i} was added to an open content model, which allowed any value there`);
      continue;
    }
    const schema = partial(before);
    if (schema !== undefined) {
      const trial = diff.sub();
      compare(trial, schema, after.tuple[i], at);
      if (trial.issues.length > 0) diff.add('ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, `tuple item ${i} was added but does not accept what additionalItems allowed there`);
    }
  }
  if (before.tuple.length > 0 || after.tuple.length > 0) compareAdditional(diff, before.additional, after.additional, `${path}/additionalItems`, 'ADDITIONAL_ITEMS');
  compareBound(diff, original, update, 'maxItems', true, path, 'MAX_ITEMS');
  compareBound(diff, original, update, 'minItems', false, path, 'MIN_ITEMS');
  if (update.uniqueItems === true && original.uniqueItems !== true) diff.add('UNIQUE_ITEMS_ADDED', `${path}/uniqueItems`, 'uniqueItems was added');
}
