/**
 * Serdes turn keys and values into the bytes of Kafka records and back. A null value is a
 * tombstone on every serde (null in, null out), as in Kafka: it deletes a key from a table.
 *
 * Where the DSL needs a serde and none is given it uses `Serdes.string()` for sources (what a
 * producer of plain text writes) and `Serdes.auto()` for sinks (strings as UTF-8, Buffers as they
 * are, anything else as JSON), so a topology that maps text to objects writes readable JSON.
 */
import { StreamsError } from './streams.error.js';

export interface Serde<T> {
  serialize(value: T | null): Buffer | null;
  deserialize(bytes: Buffer | null): T | null;
}

const stringSerde: Serde<string> = {
  serialize(value) {
    if (value === null || value === undefined) return null;
    if (typeof value !== 'string') throw new StreamsError('SERIALIZATION_ERROR', `the string serde was given a ${typeof value}, not a string`);
    return Buffer.from(value, 'utf8');
  },
  deserialize: (bytes) => (bytes === null ? null : bytes.toString('utf8')),
};

const bytesSerde: Serde<Buffer> = {
  serialize(value) {
    if (value === null || value === undefined) return null;
    if (!Buffer.isBuffer(value)) throw new StreamsError('SERIALIZATION_ERROR', `the bytes serde was given a ${typeof value}, not a Buffer`);
    return value;
  },
  deserialize: (bytes) => bytes,
};

function jsonSerde<T>(): Serde<T> {
  return {
    serialize(value) {
      if (value === null || value === undefined) return null;
      const text = JSON.stringify(value);
      if (text === undefined) throw new StreamsError('SERIALIZATION_ERROR', `the JSON serde cannot encode a ${typeof value}`);
      return Buffer.from(text, 'utf8');
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      try {
        return JSON.parse(bytes.toString('utf8')) as T;
      } catch (err) {
        throw new StreamsError('DESERIALIZATION_ERROR', `not JSON (${(err as Error).message}): ${JSON.stringify(bytes.subarray(0, 64).toString('utf8'))}`, { size: bytes.length });
      }
    },
  };
}

const autoSerde: Serde<unknown> = {
  serialize(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    if (Buffer.isBuffer(value)) return value;
    return jsonSerde<unknown>().serialize(value);
  },
  // Reading back cannot know what was written: text. Use json() on the reading side for objects.
  deserialize: (bytes) => (bytes === null ? null : bytes.toString('utf8')),
};

export const Serdes = {
  string: (): Serde<string> => stringSerde,
  bytes: (): Serde<Buffer> => bytesSerde,
  json: <T = unknown>(): Serde<T> => jsonSerde<T>(),
  /** Writes strings as UTF-8, Buffers as is, anything else as JSON (sinks' default). */
  auto: <T = unknown>(): Serde<T> => autoSerde as Serde<T>,
};
