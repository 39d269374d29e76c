// The JSON bridge and the formats around it: the wire prefix and Protobuf message indexes, the
// `_schemas` record codec, canonical forms (same schema, same fingerprint) and encode/decode of
// JSON records for each type, with per-record issues for records that do not fit.
import { DEFAULT_SCHEMA_LIMITS } from './schema-limits.js';
import { parseSchema } from './schema-parser.js';
import { SchemaRegistryError } from './schema-registry.error.js';
import type { SchemaType } from './schema-types.js';
import { decodeSchemasTopicRecord, encodeSchemasTopicRecord, type SchemasTopicRecord } from './schemas-topic.codec.js';
import { decodeMessageIndexes, encodeMessageIndexes, encodeWirePrefix, wireSchemaId } from './wire-format.js';

const parse = (schemaType: SchemaType, schema: string) => parseSchema({ schemaType, schema, references: [] }, () => undefined, DEFAULT_SCHEMA_LIMITS);

function recordError(run: () => unknown): SchemaRegistryError {
  try {
    run();
  } catch (err) {
    if (err instanceof SchemaRegistryError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('wire format', () => {
  it('writes and reads the 5-byte prefix', () => {
    const prefix = encodeWirePrefix(0x01020304);
    expect([...prefix]).toEqual([0, 1, 2, 3, 4]);
    expect(wireSchemaId(prefix)).toBe(0x01020304);
    expect(wireSchemaId(Buffer.from([1, 0, 0, 0, 1]))).toBeNull(); // other magic
    expect(wireSchemaId(Buffer.from([0, 0, 0, 1]))).toBeNull(); // too short
    expect(wireSchemaId(Buffer.from([0, 0, 0, 0, 0]))).toBeNull(); // id 0
    expect(wireSchemaId(Buffer.from([0, 0xff, 0xff, 0xff, 0xff]))).toBeNull(); // negative id
  });

  it('round-trips message indexes; [0] is the single byte 0', () => {
    expect([...encodeMessageIndexes([0])]).toEqual([0]);
    for (const indexes of [[0], [1], [0, 2], [3, 1, 70]]) {
      const bytes = Buffer.concat([encodeMessageIndexes(indexes), Buffer.from([0xaa])]);
      expect(decodeMessageIndexes(bytes, 0)).toEqual({ indexes, next: bytes.length - 1 });
    }
  });

  it('refuses truncated or oversized message indexes without allocating', () => {
    expect(recordError(() => decodeMessageIndexes(Buffer.from([0x80]), 0)).code).toBe('INVALID_RECORD');
    // a count of 2^31 with two bytes left
    expect(recordError(() => decodeMessageIndexes(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f, 0, 0]), 0)).code).toBe('INVALID_RECORD');
    expect(recordError(() => decodeMessageIndexes(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 0)).code).toBe('INVALID_RECORD');
  });
});

describe('_schemas records', () => {
  const records: SchemasTopicRecord[] = [
    { keytype: 'SCHEMA', subject: 's-value', version: 2, value: { subject: 's-value', version: 2, id: 7, schemaType: 'AVRO', references: [], schema: '"string"', deleted: false } },
    { keytype: 'SCHEMA', subject: 's-value', version: 3, value: { subject: 's-value', version: 3, id: 8, schemaType: 'PROTOBUF', references: [{ name: 'a.proto', subject: 'a', version: 1 }], schema: 'syntax = "proto3";', deleted: true } },
    { keytype: 'SCHEMA', subject: 's-value', version: 2, value: null },
    { keytype: 'CONFIG', subject: null, value: { compatibilityLevel: 'FULL' } },
    { keytype: 'CONFIG', subject: 's', value: null },
    { keytype: 'MODE', subject: 's', value: { mode: 'READONLY' } },
    { keytype: 'DELETE_SUBJECT', subject: 's', version: 4 },
    { keytype: 'CLEAR_SUBJECT', subject: 's' },
    { keytype: 'NOOP' },
    { keytype: 'SPOOL_MAX_ID', maxId: 12 },
  ];

  it.each(records.map((r) => [r.keytype, r] as const))('round-trips %s', (_keytype, record) => {
    const encoded = encodeSchemasTopicRecord(record);
    expect(decodeSchemasTopicRecord(encoded.key, encoded.value)).toEqual(record);
  });

  it("writes Confluent's key and value shapes (AVRO's schemaType and empty references omitted)", () => {
    const encoded = encodeSchemasTopicRecord(records[0]);
    expect(JSON.parse(encoded.key.toString())).toEqual({ keytype: 'SCHEMA', subject: 's-value', version: 2, magic: 1 });
    expect(JSON.parse(encoded.value!.toString())).toEqual({ subject: 's-value', version: 2, id: 7, schema: '"string"', deleted: false });
  });

  it('refuses records it does not understand', () => {
    const bad: Array<[string, string | null]> = [
      ['not json', null],
      ['[1]', null],
      ['{"keytype":"OTHER"}', null],
      ['{"keytype":"SCHEMA","subject":"s","version":0}', null],
      ['{"keytype":"SCHEMA","subject":"s","version":1}', '{"id":1,"schema":"x","schemaType":"XML"}'],
      ['{"keytype":"CONFIG","subject":null}', '{"compatibilityLevel":"SOMETIMES"}'],
    ];
    for (const [key, value] of bad) {
      expect(() => decodeSchemasTopicRecord(Buffer.from(key), value === null ? null : Buffer.from(value))).toThrow();
    }
  });
});

describe('canonical forms', () => {
  it('Avro: layout and {"type":"string"} for "string" do not make another schema', () => {
    const a = parse('AVRO', '{"type":"record","name":"U","fields":[{"name":"n","type":"string"}]}');
    const b = parse('AVRO', '{ "type" : "record", "name" : "U", "fields" : [ { "name" : "n", "type" : { "type": "string" } } ] }');
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(parse('AVRO', '{"type":"record","name":"U","fields":[{"name":"m","type":"string"}]}').fingerprint).not.toBe(a.fingerprint);
  });

  it('JSON Schema: layout does not make another schema', () => {
    const a = parse('JSON', '{"type":"object","properties":{"n":{"type":"string"}}}');
    const b = parse('JSON', '{\n  "type": "object",\n  "properties": { "n": { "type": "string" } }\n}');
    expect(b.fingerprint).toBe(a.fingerprint);
  });

  it('Protobuf: comments and layout do not make another schema', () => {
    const a = parse('PROTOBUF', 'syntax = "proto3"; package p; message M { string n = 1; }');
    const b = parse('PROTOBUF', 'syntax = "proto3";\n// a comment\npackage p;\n\nmessage M {\n  string n = 1; // the name\n}\n');
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(parse('PROTOBUF', 'syntax = "proto3"; package p; message M { string n = 2; }').fingerprint).not.toBe(a.fingerprint);
  });

  it('malformed schemas are INVALID_SCHEMA, oversized ones SCHEMA_TOO_LARGE', () => {
    expect(recordError(() => parse('AVRO', '{"type":"record","name":"U","fields":[{"name":"n","type":"strin"}]}')).code).toBe('INVALID_SCHEMA');
    expect(recordError(() => parse('JSON', '{"type": 12}')).code).toBe('INVALID_SCHEMA');
    expect(recordError(() => parse('PROTOBUF', 'message M { strin n = 1; }')).code).toBe('INVALID_SCHEMA');
    expect(recordError(() => parse('JSON', '['.repeat(10_000) + ']'.repeat(10_000))).code).toBe('INVALID_SCHEMA');
    expect(recordError(() => parse('AVRO', `"${'x'.repeat(DEFAULT_SCHEMA_LIMITS.maxSchemaBytes)}"`)).code).toBe('SCHEMA_TOO_LARGE');
  });
});

describe('JSON bridge', () => {
  const cases: Array<{ type: SchemaType; schema: string; good: unknown; bad: unknown; badPath: string }> = [
    {
      type: 'AVRO',
      schema: '{"type":"record","name":"U","fields":[{"name":"n","type":"string"},{"name":"age","type":"int"},{"name":"tags","type":{"type":"array","items":"string"}}]}',
      good: { n: 'ann', age: 41, tags: ['a', 'b'] },
      bad: { n: 'ann', age: 'old', tags: [] },
      badPath: '/age',
    },
    {
      type: 'JSON',
      schema: '{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"n":{"type":"string"},"age":{"type":"integer"}},"required":["n"]}',
      good: { n: 'ann', age: 41 },
      bad: { n: 'ann', age: 'old' },
      badPath: '/age',
    },
    {
      type: 'PROTOBUF',
      schema: 'syntax = "proto3"; package p; message U { string n = 1; int32 age = 2; repeated string tags = 3; }',
      good: { n: 'ann', age: 41, tags: ['a', 'b'] },
      bad: { n: 'ann', age: 'old' },
      badPath: '/age',
    },
  ];

  it.each(cases.map((c) => [c.type, c] as const))('%s: JSON -> payload -> JSON, and issues with a path for a bad record', (_type, c) => {
    const parsed = parse(c.type, c.schema);
    const payload = parsed.encodeJson(c.good);
    expect(JSON.parse(parsed.decodeToJson(payload))).toEqual(c.good);
    const err = recordError(() => parsed.encodeJson(c.bad));
    expect(err.code).toBe('INVALID_RECORD');
    const issues = err.details.issues as Array<{ path: string; message: string }>;
    expect(issues.map((i) => i.path)).toContain(c.badPath);
  });

  it('Protobuf payloads start with the message indexes; a second message is [1]', () => {
    const parsed = parse('PROTOBUF', 'syntax = "proto3"; package p; message A { string s = 1; } message B { int64 n = 1; }');
    expect(parsed.encodeJson({ s: 'x' })[0]).toBe(0);
    const b = parsed.encodeJson({ n: '5' }, 'p.B');
    expect(decodeMessageIndexes(b, 0).indexes).toEqual([1]);
    expect(JSON.parse(parsed.decodeToJson(b))).toEqual({ n: '5' });
  });

  it('bytes that do not decode are INVALID_RECORD, not a crash', () => {
    const avro = parse('AVRO', '{"type":"record","name":"U","fields":[{"name":"n","type":"string"}]}');
    expect(recordError(() => avro.decodeToJson(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))).code).toBe('INVALID_RECORD');
    const json = parse('JSON', '{"type":"object"}');
    expect(recordError(() => json.decodeToJson(Buffer.from('{nope'))).code).toBe('INVALID_RECORD');
  });
});
