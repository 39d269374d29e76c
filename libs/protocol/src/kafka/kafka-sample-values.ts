/**
 * Builds values of any Kafka message from its schema alone, for round-trip tests and fuzzers:
 * random where the version carries a field, the field's default where it does not (which is what
 * decoding yields for an absent field, so encode -> decode must give the sample back).
 *
 * Deterministic for a given `random` (pass a seeded generator), and small: arrays hold at most
 * `maxArrayLength` elements, fewer further down, so that every message stays a few KiB.
 */
import { versionInRange, type KafkaFieldSchema, type KafkaMessageSchema, type KafkaPrimitiveType } from './kafka-schema.js';

export type KafkaRandom = () => number;

/** Mulberry32: a tiny seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): KafkaRandom {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

export interface SampleOptions {
  /** Chance that a field nullable at this version is null (default 0.2). */
  nullChance?: number;
  /** Most elements in a top-level array (default 3); each nesting level allows one fewer, at least 1. */
  maxArrayLength?: number;
}

type Obj = { [name: string]: unknown };

/** The default of a field, independent of version (what the generated `default*()` build). */
export function defaultFieldValue(field: KafkaFieldSchema): unknown {
  if (field.kind === 'array') return field.default === null ? null : [];
  if (field.kind === 'struct') return field.default === null ? null : defaultStructValue(field.fields ?? []);
  if (field.primitive === 'bytes' || field.primitive === 'records') return field.default === null ? null : Buffer.alloc(0);
  return field.default;
}

export function defaultStructValue(fields: readonly KafkaFieldSchema[]): Obj {
  const out: Obj = {};
  for (const f of fields) out[f.name] = defaultFieldValue(f);
  return out;
}

const STRING_ALPHABET = ['a', 'b', 'z', '0', '-', '_', '.', ' ', 'é', '€', 'ß', '😀'];

function int(random: KafkaRandom, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function bytes(random: KafkaRandom, max: number): Buffer {
  const out = Buffer.alloc(int(random, 0, max));
  for (let i = 0; i < out.length; i++) out[i] = int(random, 0, 255);
  return out;
}

export function samplePrimitive(type: KafkaPrimitiveType, random: KafkaRandom): unknown {
  switch (type) {
    case 'bool':
      return random() < 0.5;
    case 'int8':
      return int(random, -0x80, 0x7f);
    case 'int16':
      return int(random, -0x8000, 0x7fff);
    case 'uint16':
      return int(random, 0, 0xffff);
    case 'int32':
      return int(random, -0x8000_0000, 0x7fff_ffff);
    case 'uint32':
      return int(random, 0, 0xffff_ffff);
    case 'int64':
      // Small values most of the time, the edges of the safe range sometimes.
      return random() < 0.7 ? int(random, -1000, 1_000_000) : Math.trunc((random() * 2 - 1) * Number.MAX_SAFE_INTEGER);
    case 'float64':
      return (random() - 0.5) * 1e9;
    case 'string': {
      let s = '';
      for (let n = int(random, 0, 8); n > 0; n--) s += STRING_ALPHABET[int(random, 0, STRING_ALPHABET.length - 1)];
      return s;
    }
    case 'bytes':
      return bytes(random, 8);
    case 'records':
      return bytes(random, 24);
    case 'uuid': {
      const raw = Buffer.alloc(16);
      for (let i = 0; i < 16; i++) raw[i] = int(random, 0, 255);
      return raw.toString('base64url');
    }
  }
}

function sampleField(field: KafkaFieldSchema, version: number, random: KafkaRandom, opts: Required<SampleOptions>, depth: number): unknown {
  if (!versionInRange(version, field.versions)) return defaultFieldValue(field);
  if (versionInRange(version, field.nullableVersions) && random() < opts.nullChance) return null;
  if (field.kind === 'struct') return sampleStruct(field.fields ?? [], version, random, opts, depth + 1);
  if (field.kind === 'primitive') return samplePrimitive(field.primitive as KafkaPrimitiveType, random);
  const length = int(random, 0, Math.max(1, opts.maxArrayLength - depth));
  const out: unknown[] = [];
  for (let i = 0; i < length; i++) {
    out.push(
      field.fields
        ? sampleStruct(field.fields, version, random, opts, depth + 1)
        : samplePrimitive(field.primitive as KafkaPrimitiveType, random),
    );
  }
  return out;
}

function sampleStruct(fields: readonly KafkaFieldSchema[], version: number, random: KafkaRandom, opts: Required<SampleOptions>, depth: number): Obj {
  const out: Obj = {};
  for (const f of fields) out[f.name] = sampleField(f, version, random, opts, depth);
  return out;
}

/** A random value of `schema` at `version`. */
export function sampleMessage(schema: KafkaMessageSchema, version: number, random: KafkaRandom, options: SampleOptions = {}): Obj {
  const opts: Required<SampleOptions> = { nullChance: options.nullChance ?? 0.2, maxArrayLength: options.maxArrayLength ?? 3 };
  return sampleStruct(schema.fields, version, random, opts, 0);
}
