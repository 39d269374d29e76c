/**
 * JSON schemas (schemaType JSON) through Ajv. The draft comes from `$schema`: draft 7 (also when
 * absent, and draft 6, which Ajv's draft-7 class reads), 2019-09 and 2020-12; draft 4 and other
 * dialects are refused with a clear INVALID_SCHEMA. Ajv runs non-strict (unknown keywords are
 * annotations, as Confluent's validator treats them), with every error collected and the formats
 * of ajv-formats checked.
 *
 * Each parsed schema has its own Ajv instance (no $id of one schema can clash with another's);
 * references are added to it under their names first, so `{"$ref": "<reference name>"}` resolves.
 * Nothing is fetched over the network: a $ref Ajv cannot resolve locally is INVALID_SCHEMA.
 *
 * Canonical text: the JSON without whitespace, key order kept; with normalize, keys sorted.
 * Identity (the fingerprint) always ignores key order.
 * Wire payload: the record's UTF-8 JSON text, checked against the schema when encoding.
 */
import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { CompatibilityIssue, ParsedSchema, ValidationIssue } from '../parsed-schema.js';
import { recordInvalid } from '../record-issues.js';
import { invalidSchema, parseSchemaJson } from '../schema-limits.js';
import { SchemaRegistryError } from '../schema-registry.error.js';
import { jsonSchemaIssues } from './json-schema-compatibility.js';
import { RefResolver } from './json-schema-view.js';
import { bundleJsonSchema } from './json-schema-bundle.js';

type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin = ((formats as unknown as { default?: FormatsPlugin }).default ?? formats) as unknown as FormatsPlugin;

const DRAFT_7 = /^https?:\/\/json-schema\.org\/draft-0[67]\/schema#?$/;
const DRAFT_2019 = /^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/;
const DRAFT_2020 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;
const DRAFT_6_META = 'http://json-schema.org/draft-06/schema';

export interface JsonDependency {
  readonly name: string;
  readonly schema: string;
}

function newAjv(dialect: unknown): Ajv {
  const options = { strict: false, allErrors: true, validateSchema: true, addUsedSchema: false } as const;
  let ajv: Ajv;
  if (dialect === undefined || (typeof dialect === 'string' && DRAFT_7.test(dialect))) {
    ajv = new Ajv(options);
    if (typeof dialect === 'string' && dialect.includes('draft-06')) ajv.addMetaSchema({ $id: DRAFT_6_META, $schema: 'http://json-schema.org/draft-07/schema#' }, DRAFT_6_META);
  } else if (typeof dialect === 'string' && DRAFT_2019.test(dialect)) {
    ajv = new Ajv2019(options);
  } else if (typeof dialect === 'string' && DRAFT_2020.test(dialect)) {
    ajv = new Ajv2020(options);
  } else {
    throw new SchemaRegistryError('INVALID_SCHEMA', `invalid JSON schema: unsupported $schema ${JSON.stringify(dialect)}; Spool reads drafts 6 and 7, 2019-09 and 2020-12`);
  }
  addFormats(ajv);
  return ajv;
}

export class JsonParsedSchema implements ParsedSchema {
  readonly schemaType = 'JSON' as const;

  constructor(
    readonly canonical: string,
    /** The JSON with keys sorted: key order never makes two schemas different. */
    readonly fingerprint: string,
    readonly json: unknown,
    private readonly validate: ValidateFunction,
    readonly refs: RefResolver,
    /** The referenced documents by reference name and by `$id`. */
    private readonly documents: ReadonlyMap<string, unknown> = new Map(),
  ) {}

  readerIssues(writer: ParsedSchema): CompatibilityIssue[] {
    const other = writer as JsonParsedSchema;
    return jsonSchemaIssues(other.json, other.refs, this.json, this.refs);
  }

  encodeJson(value: unknown): Buffer {
    if (!this.validate(value)) throw recordInvalid(issuesOf(this.validate.errors));
    return Buffer.from(JSON.stringify(value), 'utf8');
  }

  decodeToJson(payload: Uint8Array): string {
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    try {
      return JSON.stringify(JSON.parse(text));
    } catch (err) {
      throw recordInvalid([{ path: '', message: `the payload is not JSON: ${(err as Error).message}` }]);
    }
  }

  /** The schema as registered, its references bundled into `$defs` (json-schema-bundle.ts). */
  jsonSchemaOfJson(): Record<string, unknown> {
    return bundleJsonSchema(this.json, this.documents);
  }
}

export function issuesOf(errors: ErrorObject[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).map((e) => {
    if (e.keyword === 'additionalProperties') return { path: `${e.instancePath}/${String((e.params as { additionalProperty: string }).additionalProperty)}`, message: 'is not allowed (additionalProperties)' };
    if (e.keyword === 'required') return { path: `${e.instancePath}/${String((e.params as { missingProperty: string }).missingProperty)}`, message: 'is required' };
    return { path: e.instancePath, message: e.message ?? `fails ${e.keyword}` };
  });
}

export function parseJsonSchema(text: string, dependencies: readonly JsonDependency[], normalize: boolean): JsonParsedSchema {
  const json = parseSchemaJson(text, 'JSON');
  if (typeof json !== 'boolean' && (typeof json !== 'object' || json === null || Array.isArray(json))) {
    throw new SchemaRegistryError('INVALID_SCHEMA', 'invalid JSON schema: a schema is a JSON object or a boolean');
  }
  const dialect = typeof json === 'object' ? (json as { $schema?: unknown }).$schema : undefined;
  const ajv = newAjv(dialect);
  const documents = new Map<string, unknown>();
  let validate: ValidateFunction;
  try {
    for (const dependency of dependencies) {
      const parsed = parseSchemaJson(dependency.schema, 'JSON (in a reference)');
      ajv.addSchema(parsed as AnySchema, dependency.name);
      documents.set(dependency.name, parsed);
      const id = typeof parsed === 'object' && parsed !== null ? (parsed as { $id?: unknown }).$id : undefined;
      if (typeof id === 'string') documents.set(id, parsed);
    }
    validate = ajv.compile(json as AnySchema);
  } catch (err) {
    throw invalidSchema('JSON', err);
  }
  const sorted = JSON.stringify(sortKeys(json));
  return new JsonParsedSchema(normalize ? sorted : JSON.stringify(json), sorted, json, validate, new RefResolver(json, documents), documents);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}
