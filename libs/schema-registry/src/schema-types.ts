/**
 * The registry's vocabulary, in Confluent Schema Registry's names and JSON shapes (the REST API
 * and the `_schemas` topic use these fields as they are).
 */

export const SCHEMA_TYPES = ['AVRO', 'JSON', 'PROTOBUF'] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

export const COMPATIBILITY_LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

/**
 * READWRITE: normal. READONLY: registrations and deletions refused (42205). IMPORT: registrations
 * must carry their id (and may carry their version), as when copying another registry; only
 * allowed on an empty registry or subject unless forced. READONLY_OVERRIDE: read-only, even for
 * a subject whose own mode says otherwise.
 */
export const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const;
export type Mode = (typeof MODES)[number];
export const DEFAULT_MODE: Mode = 'READWRITE';

/** A named dependency of a schema: another subject's version, known in this schema as `name`. */
export interface SchemaReference {
  /** How the schema refers to it: an Avro full name, a JSON Schema $ref URL, a .proto import path. */
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

/** What a client sends to register or look up a schema. */
export interface SchemaInput {
  readonly schemaType: SchemaType;
  readonly schema: string;
  readonly references: readonly SchemaReference[];
}

/** A schema as the registry holds it (one per id). */
export interface StoredSchema {
  readonly id: number;
  readonly schemaType: SchemaType;
  /** The canonical text (what GET returns). */
  readonly schema: string;
  readonly references: readonly SchemaReference[];
}

/** One version of a subject. */
export interface SubjectVersion {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  /** Soft-deleted: kept (and readable with deleted=true) until deleted permanently. */
  readonly deleted: boolean;
}

/** A subject version with its schema, as GET /subjects/{s}/versions/{v} shows it. */
export interface SchemaVersionView {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schemaType: SchemaType;
  readonly schema: string;
  readonly references: readonly SchemaReference[];
  readonly deleted: boolean;
}

export function isSchemaType(value: unknown): value is SchemaType {
  return typeof value === 'string' && (SCHEMA_TYPES as readonly string[]).includes(value);
}

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && (MODES as readonly string[]).includes(value);
}
