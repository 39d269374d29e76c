/**
 * Schemas on the faces: what `confluent.key.schema.validation` / `confluent.value.schema.validation`
 * (topic configs) ask of produced records, and the JSON bridge of the JSON faces. Face-neutral:
 * the Kafka face checks record batches with `checkBatch`, the JSON faces (HTTP, NDJSON, WebSocket)
 * encode JSON with `encodeJson`; each face maps the refusals to its own errors.
 *
 * Subjects follow Confluent's TopicNameStrategy: `<topic>-key` and `<topic>-value`.
 *
 * Kafka produce, when the topic validates a part: each record's key / value must be null (a
 * tombstone or no key) or carry the wire prefix (magic byte 0, schema id) with an id that one of
 * the subject's live versions has, as Confluent Server checks it; the payload itself is not
 * decoded (its producer's serializer wrote it with that schema). A record that fails is named by
 * its index in the batch, and the whole batch is refused (nothing appended).
 *
 * Everything here is synchronous over the registry's in-memory state once `_schemas` has been
 * read (bootstrap reads it before readiness); `ready` says whether it has. In cluster mode the
 * state follows `_schemas` (SchemasFollower) and may be a moment behind a write on another node:
 * a face that finds a record failing calls `catchUp()` and checks once more before refusing it.
 */
import { decodeRecordBatch } from '@spool/protocol';
import { ProtobufParsedSchema, SchemaRegistry, SchemaRegistryError, WIRE_PREFIX_BYTES, encodeWirePrefix, wireSchemaId, type VersionSpec } from '@spool/schema-registry';

export type SchemaPart = 'key' | 'value';

/** Confluent's TopicNameStrategy. */
export function subjectOf(topic: string, part: SchemaPart): string {
  return `${topic}-${part}`;
}

/** What a topic's configs ask to validate. */
export interface SchemaValidation {
  readonly key: boolean;
  readonly value: boolean;
}

/** One record of a batch that does not pass. */
export interface RecordSchemaError {
  readonly batchIndex: number;
  readonly message: string;
}

const MAX_REPORTED_RECORDS = 100;

/** What TopicSchemas needs of cluster mode's SchemasFollower. */
export interface SchemasFollowing {
  start(): Promise<void>;
  close(): Promise<void>;
}

export class TopicSchemas {
  private loaded = false;
  private opening: Promise<void> | null = null;

  constructor(
    readonly registry: SchemaRegistry,
    /** Cluster mode: keeps the state in step with `_schemas` once opened. */
    private readonly follower?: SchemasFollowing,
  ) {}

  get ready(): boolean {
    return this.loaded;
  }

  /** Reads `_schemas` (once; later calls share it); in cluster mode, then follows it. */
  open(): Promise<void> {
    this.opening ??= (this.follower !== undefined ? this.follower.start() : this.registry.open()).then(() => void (this.loaded = true));
    this.opening.catch(() => (this.opening = null));
    return this.opening;
  }

  async close(): Promise<void> {
    await this.follower?.close();
  }

  /** Applies what `_schemas` holds beyond this node's state (a write on another node); see the top of the file. */
  catchUp(): Promise<void> {
    return this.registry.settle();
  }

  /** Ids of the subject's live versions. */
  private idsOf(subject: string): ReadonlySet<number> {
    return new Set(this.registry.state.versions(subject, false).map((v) => v.id));
  }

  /** Why `bytes` do not pass for `subject`, or null when they do. */
  private wireProblem(bytes: Uint8Array | null, part: SchemaPart, subject: string, ids: ReadonlySet<number>): string | null {
    if (bytes === null) return null;
    const id = wireSchemaId(bytes);
    if (id === null) return `the ${part} does not start with the schema wire prefix (magic byte 0 and a schema id)`;
    if (!ids.has(id)) return `the ${part}'s schema id ${id} is not registered under subject ${JSON.stringify(subject)}`;
    return null;
  }

  /**
   * Checks the records of one produced batch (record batch v2, whole). Returns the records that
   * fail (up to 100), or an empty list. A batch that does not decode returns an empty list: the
   * log's own validation refuses it with the precise error (CORRUPT_MESSAGE...).
   */
  checkBatch(topic: string, batch: Buffer, validation: SchemaValidation): RecordSchemaError[] {
    let records;
    try {
      records = decodeRecordBatch(batch).records;
    } catch {
      return [];
    }
    const keySubject = subjectOf(topic, 'key');
    const valueSubject = subjectOf(topic, 'value');
    const keyIds = validation.key ? this.idsOf(keySubject) : null;
    const valueIds = validation.value ? this.idsOf(valueSubject) : null;
    const errors: RecordSchemaError[] = [];
    for (let i = 0; i < records.length && errors.length < MAX_REPORTED_RECORDS; i++) {
      const problem =
        (keyIds !== null ? this.wireProblem(records[i].key, 'key', keySubject, keyIds) : null) ??
        (valueIds !== null ? this.wireProblem(records[i].value, 'value', valueSubject, valueIds) : null);
      if (problem !== null) errors.push({ batchIndex: i, message: `record ${i}: ${problem}` });
    }
    return errors;
  }

  /** Whether stored bytes pass for a part of a topic (the JSON faces' binary and string values). */
  checkBytes(topic: string, part: SchemaPart, bytes: Uint8Array | null): string | null {
    const subject = subjectOf(topic, part);
    return this.wireProblem(bytes, part, subject, this.idsOf(subject));
  }

  /**
   * The JSON `value` in `subject`'s schema (its `version`, default the latest), as a record's
   * bytes in Confluent's wire format: prefix, then Avro binary / Protobuf (message indexes and
   * message, `messageName` or the file's first) / JSON text. Throws SchemaRegistryError:
   * SUBJECT_NOT_FOUND / VERSION_NOT_FOUND when there is no such schema, INVALID_RECORD with
   * `details.issues` ({path, message}) when the value does not fit it.
   */
  encodeJson(subject: string, version: VersionSpec, value: unknown, messageName?: string): { bytes: Buffer; schemaId: number } {
    const view = this.registry.version(subject, version);
    const payload = this.registry.parsedById(view.id).encodeJson(value, messageName);
    return { bytes: Buffer.concat([encodeWirePrefix(view.id), payload]), schemaId: view.id };
  }

  /**
   * Stored bytes in the wire format decoded to JSON text with the schema of their id, or null when
   * they do not carry the prefix or name no schema; throws INVALID_RECORD when the payload does not
   * decode with that schema.
   */
  decodeToJson(bytes: Uint8Array): { json: string; schemaId: number } | null {
    const id = wireSchemaId(bytes);
    if (id === null || this.registry.state.schema(id) === undefined) return null;
    const parsed = this.registry.parsedById(id);
    const payload = bytes.subarray(WIRE_PREFIX_BYTES);
    try {
      return { json: parsed.decodeToJson(payload), schemaId: id };
    } catch (err) {
      // @kafkajs/confluent-schema-registry writes Protobuf without Confluent's message indexes:
      // read such a payload as the file's first message, once the standard reading has failed.
      if (!(parsed instanceof ProtobufParsedSchema) || !isRecordInvalid(err)) throw err;
      return { json: parsed.decodeWithoutIndexesToJson(payload), schemaId: id };
    }
  }
}

export function isRecordInvalid(err: unknown): err is SchemaRegistryError {
  return err instanceof SchemaRegistryError && err.code === 'INVALID_RECORD';
}
