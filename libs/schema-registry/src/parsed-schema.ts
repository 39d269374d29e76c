/**
 * A schema parsed by its type's provider (avro/, json-schema/, protobuf/): what the registry
 * compares (canonical text, compatibility) and what the JSON bridge uses (encode JSON to the
 * type's binary payload, decode a payload to JSON).
 */
import type { SchemaType } from './schema-types.js';

/** One reason a record does not fit its schema; `path` is a JSON pointer into the record ("" = the whole). */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** One reason a schema cannot read data written with another (or, for JSON, accept what the other accepted). */
export interface CompatibilityIssue {
  /** The rule that failed, in Confluent's words where it has one (READER_FIELD_MISSING_DEFAULT_VALUE, FIELD_KIND_CHANGED, ...). */
  readonly type: string;
  /** Where, as a path into the schemas ("/fields/2", "#/properties/name", "acme.User.3"). */
  readonly path: string;
  readonly message: string;
}

export interface ParsedSchema {
  readonly schemaType: SchemaType;
  /**
   * The canonical text: the form stored and returned. Two inputs that differ only in insignificant
   * ways (whitespace; for Avro a primitive written as {"type":"string"}; for Protobuf comments and
   * layout) have the same canonical text, so registering either returns the same id.
   */
  readonly canonical: string;
  /**
   * What makes two schemas of this type the same schema (with the same references): the canonical
   * text for Avro and JSON; for Protobuf, whose text is kept as registered, the parsed structure
   * (so comments and layout do not matter).
   */
  readonly fingerprint: string;
  /**
   * Issues that make this schema unable to read data written with `writer` (Avro and Protobuf), or
   * to accept every document `writer` accepts (JSON Schema). Empty when compatible. Both schemas
   * have the same type (the caller checks).
   */
  readerIssues(writer: ParsedSchema): CompatibilityIssue[];
  /**
   * The record `value` (JSON) as this schema's binary payload, without the 5-byte wire prefix
   * (Protobuf payloads start with their message indexes). Throws SchemaRegistryError INVALID_RECORD
   * with `details.issues` when the value does not fit. `messageName` picks a Protobuf message
   * (default: the first in the file); other types ignore it.
   */
  encodeJson(value: unknown, messageName?: string): Buffer;
  /**
   * The payload (after the 5-byte prefix) as JSON text. Throws INVALID_RECORD when the bytes do
   * not decode with this schema.
   */
  decodeToJson(payload: Uint8Array): string;
  /** A JSON Schema (draft 2020-12) of the JSON the bridge produces and accepts, for AsyncAPI documents. */
  jsonSchemaOfJson(messageName?: string): Record<string, unknown>;
}
