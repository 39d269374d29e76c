/**
 * The schema registry's one error class. `code` is stable and names the condition the way
 * Confluent Schema Registry's REST API does (its error_code numbers are in `errorCode`), so the
 * HTTP face answers `{ "error_code": <errorCode>, "message": ... }` with `httpStatus`, exactly
 * as a Confluent client expects, and other faces map `code` in their own switch.
 */
export type SchemaRegistryErrorCode =
  | 'SUBJECT_NOT_FOUND'
  | 'VERSION_NOT_FOUND'
  | 'SCHEMA_NOT_FOUND'
  | 'SUBJECT_SOFT_DELETED'
  | 'SUBJECT_NOT_SOFT_DELETED'
  | 'SCHEMA_VERSION_SOFT_DELETED'
  | 'SCHEMA_VERSION_NOT_SOFT_DELETED'
  | 'SUBJECT_COMPATIBILITY_NOT_CONFIGURED'
  | 'SUBJECT_MODE_NOT_CONFIGURED'
  | 'INCOMPATIBLE_SCHEMA'
  | 'INVALID_SCHEMA'
  | 'INVALID_VERSION'
  | 'INVALID_COMPATIBILITY_LEVEL'
  | 'INVALID_MODE'
  | 'OPERATION_NOT_PERMITTED'
  | 'REFERENCE_EXISTS'
  | 'ID_DOES_NOT_MATCH'
  | 'INVALID_SUBJECT'
  | 'SCHEMA_TOO_LARGE'
  | 'STORE_ERROR'
  | 'OPERATION_TIMEOUT'
  | 'UNKNOWN_LEADER'
  /** Cluster mode: a write could not be forwarded to the writer (it did not answer). */
  | 'FORWARDING_ERROR'
  /**
   * A record (JSON to encode, or bytes to decode) does not fit its schema; `details.issues` lists
   * `{ path, message }`. Raised by the JSON bridge, never by the registry's REST API.
   */
  | 'INVALID_RECORD';

/** Confluent's error_code and HTTP status per code (its rest/exceptions/Errors). */
const CONFLUENT: Record<SchemaRegistryErrorCode, readonly [errorCode: number, httpStatus: number]> = {
  SUBJECT_NOT_FOUND: [40401, 404],
  VERSION_NOT_FOUND: [40402, 404],
  SCHEMA_NOT_FOUND: [40403, 404],
  SUBJECT_SOFT_DELETED: [40404, 404],
  SUBJECT_NOT_SOFT_DELETED: [40405, 404],
  SCHEMA_VERSION_SOFT_DELETED: [40406, 404],
  SCHEMA_VERSION_NOT_SOFT_DELETED: [40407, 404],
  SUBJECT_COMPATIBILITY_NOT_CONFIGURED: [40408, 404],
  SUBJECT_MODE_NOT_CONFIGURED: [40409, 404],
  // Confluent 5.x-7.x answer error_code 409; later releases say 40901. Clients look at the status.
  INCOMPATIBLE_SCHEMA: [409, 409],
  INVALID_SCHEMA: [42201, 422],
  INVALID_VERSION: [42202, 422],
  INVALID_COMPATIBILITY_LEVEL: [42203, 422],
  INVALID_MODE: [42204, 422],
  OPERATION_NOT_PERMITTED: [42205, 422],
  REFERENCE_EXISTS: [42206, 422],
  ID_DOES_NOT_MATCH: [42207, 422],
  INVALID_SUBJECT: [42208, 422],
  SCHEMA_TOO_LARGE: [42209, 422],
  STORE_ERROR: [50001, 500],
  OPERATION_TIMEOUT: [50002, 500],
  FORWARDING_ERROR: [50003, 500],
  UNKNOWN_LEADER: [50004, 500],
  // Not a Confluent error: the faces map it themselves (HTTP 422, Kafka INVALID_RECORD).
  INVALID_RECORD: [422, 422],
};

const RETRIABLE: ReadonlySet<SchemaRegistryErrorCode> = new Set(['STORE_ERROR', 'OPERATION_TIMEOUT', 'FORWARDING_ERROR', 'UNKNOWN_LEADER']);

export class SchemaRegistryError extends Error {
  /** Confluent's error_code (40401, 42201, ...). */
  readonly errorCode: number;
  /** The HTTP status Confluent answers with. */
  readonly httpStatus: number;
  readonly retriable: boolean;

  constructor(
    readonly code: SchemaRegistryErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'SchemaRegistryError';
    [this.errorCode, this.httpStatus] = CONFLUENT[code];
    this.retriable = RETRIABLE.has(code);
  }
}

export function isSchemaRegistryError(err: unknown): err is SchemaRegistryError {
  return err instanceof SchemaRegistryError;
}

/**
 * The error a Confluent-style answer `{error_code, message}` stands for (a write forwarded to the
 * writer comes back this way); an error_code we do not know is a STORE_ERROR carrying it.
 */
export function schemaRegistryErrorFromAnswer(errorCode: number, message: string): SchemaRegistryError {
  const code = (Object.keys(CONFLUENT) as SchemaRegistryErrorCode[]).find((c) => c !== 'INVALID_RECORD' && CONFLUENT[c][0] === errorCode);
  return code === undefined ? new SchemaRegistryError('STORE_ERROR', message, { errorCode }) : new SchemaRegistryError(code, message);
}
