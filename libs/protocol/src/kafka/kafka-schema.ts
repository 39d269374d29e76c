/**
 * Kafka message schemas as data: what scripts/generate-kafka-protocol.mjs emits beside each
 * generated codec, so that tests and tools (sample builders, fuzzers, ApiVersions) can walk any
 * message without knowing it.
 *
 * Version ranges are `[min, max]`, both inclusive; an open range ("3+") has max 0x7fff (the
 * largest int16, the width of an api version on the wire). `null` means "no version" ("none").
 */
import type { ByteReader } from '../byte-reader.js';
import type { ByteWriter } from '../byte-writer.js';

export type KafkaVersionRange = readonly [min: number, max: number];

/** Largest version an open range ("0+") reaches. */
export const KAFKA_MAX_VERSION = 0x7fff;

export type KafkaPrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

export interface KafkaFieldSchema {
  /** The property name (camelCase of the JSON name). */
  readonly name: string;
  /** The type as the JSON spells it: 'int32', '[]string', '[]TopicData', 'Assignment'. */
  readonly type: string;
  readonly kind: 'primitive' | 'array' | 'struct';
  /** The value type of a primitive, or the element type of an array of primitives. */
  readonly primitive?: KafkaPrimitiveType;
  /** Versions in which the field is on the wire, clipped to the message's valid versions. */
  readonly versions: KafkaVersionRange | null;
  readonly nullableVersions: KafkaVersionRange | null;
  /** Set for tagged fields (only in flexible versions): written only when not the default. */
  readonly taggedVersions?: KafkaVersionRange | null;
  readonly tag?: number;
  /** Overrides the message's flexible versions for this field's encoding (RequestHeader.clientId). */
  readonly flexibleVersions?: KafkaVersionRange | null;
  /** Encoding a non-default value at a version without the field is silently dropped, not an error. */
  readonly ignorable: boolean;
  /**
   * The default of a primitive field (number, boolean, string, or null). Absent for bytes,
   * arrays and structs whose default is empty (an empty buffer / array, a struct of defaults);
   * null when their default is null.
   */
  readonly default?: number | boolean | string | null;
  /** The fields of a struct, or of an array's struct elements. */
  readonly fields?: readonly KafkaFieldSchema[];
}

export interface KafkaMessageSchema {
  /** As in the JSON: 'ProduceRequest', 'RequestHeader', 'ConsumerProtocolAssignment'. */
  readonly name: string;
  readonly type: 'request' | 'response' | 'header' | 'data';
  readonly apiKey?: number;
  readonly validVersions: KafkaVersionRange;
  readonly flexibleVersions: KafkaVersionRange | null;
  readonly fields: readonly KafkaFieldSchema[];
}

/**
 * A generated message codec. `read` and `write` assume a valid version (the registry checks it)
 * and that the reader's limit ends the message; `defaults` builds a value with every field at
 * its default, to fill in before encoding.
 */
export interface KafkaMessageCodec<T> {
  readonly schema: KafkaMessageSchema;
  read(reader: ByteReader, version: number): T;
  write(writer: ByteWriter, value: T, version: number): void;
  defaults(): T;
}

export function versionInRange(version: number, range: KafkaVersionRange | null | undefined): boolean {
  return range !== null && range !== undefined && version >= range[0] && version <= range[1];
}
