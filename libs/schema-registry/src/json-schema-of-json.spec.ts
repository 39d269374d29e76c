// The converters behind the AsyncAPI document's payloads (ParsedSchema.jsonSchemaOfJson): Avro
// (avro-json-schema.ts), Protobuf (protobuf-json-schema.ts) and JSON Schema with references
// (json-schema-bundle.ts). Each row of the table is a schema, parts the JSON Schema must contain,
// records the bridge encodes and whose decoded JSON the JSON Schema must accept, and JSON the JSON
// Schema must refuse. So the schema is checked against what the bridge really reads and writes.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { DEFAULT_SCHEMA_LIMITS } from './schema-limits.js';
import { parseSchema } from './schema-parser.js';
import type { SchemaType, StoredSchema } from './schema-types.js';

interface Row {
  readonly name: string;
  readonly schemaType: SchemaType;
  readonly schema: unknown;
  /** Schemas the row's references name: reference name -> text. */
  readonly references?: Record<string, unknown>;
  readonly contains: Record<string, unknown>;
  /** Records the bridge encodes; each decoded one must fit the JSON Schema. */
  readonly valid: readonly unknown[];
  /** JSON the JSON Schema refuses. */
  readonly invalid: readonly unknown[];
  readonly messageName?: string;
}

const text = (schema: unknown): string => (typeof schema === 'string' ? schema : JSON.stringify(schema));

const ROWS: Row[] = [
  {
    name: 'Avro record: primitives, required fields without defaults, defaults, docs',
    schemaType: 'AVRO',
    schema: { type: 'record', name: 'User', namespace: 'acme', doc: 'A user', fields: [
      { name: 'id', type: 'long' },
      { name: 'name', type: 'string', doc: 'display name' },
      { name: 'age', type: 'int', default: 0 },
      { name: 'score', type: 'double', default: 1.5 },
      { name: 'active', type: 'boolean', default: true },
      { name: 'avatar', type: 'bytes', default: '' },
    ] },
    contains: { $ref: '#/$defs/acme.User', $defs: { 'acme.User': { type: 'object', description: 'A user', required: ['id', 'name'], additionalProperties: false, properties: {
      id: { type: 'integer', maximum: Number.MAX_SAFE_INTEGER }, name: { type: 'string', description: 'display name' }, age: { type: 'integer', default: 0, maximum: 2 ** 31 - 1 },
      score: { type: 'number', default: 1.5 }, active: { type: 'boolean', default: true }, avatar: { type: 'string', contentEncoding: 'base64' },
    } } } },
    valid: [{ id: 1, name: 'a' }, { id: -9, name: '', age: 3, score: 2, active: false, avatar: 'AAE=' }],
    invalid: [{ id: 1 }, { id: '1', name: 'a' }, { id: 1, name: 'a', extra: 1 }, { id: 1, name: 'a', age: 2 ** 31 }, { id: 1, name: 'a', age: 1.5 }],
  },
  {
    name: 'Avro enum, fixed, array, map; named types once in $defs',
    schemaType: 'AVRO',
    schema: { type: 'record', name: 'Order', fields: [
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
      { name: 'previous', type: 'Status', default: 'NEW' },
      { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
      { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } },
      { name: 'attributes', type: { type: 'map', values: 'string' } },
    ] },
    contains: { $defs: { Status: { enum: ['NEW', 'PAID'] }, Hash: { type: 'string', contentEncoding: 'base64' }, Line: { type: 'object', required: ['sku', 'qty'] },
      Order: { properties: { previous: { $ref: '#/$defs/Status', default: 'NEW' }, lines: { type: 'array', items: { $ref: '#/$defs/Line' } }, attributes: { type: 'object', additionalProperties: { type: 'string' } } } } } },
    valid: [{ status: 'PAID', hash: 'AQIDBA==', lines: [{ sku: 'x', qty: 2 }], attributes: { a: 'b' } }],
    invalid: [{ status: 'LOST', hash: 'AQIDBA==', lines: [], attributes: {} }, { status: 'NEW', hash: 'AQIDBA==', lines: [{ sku: 'x' }], attributes: {} }, { status: 'NEW', hash: 'AQIDBA==', lines: [], attributes: { a: 1 } }],
  },
  {
    name: 'Avro unions: nullable, multi-branch, recursive record',
    schemaType: 'AVRO',
    schema: { type: 'record', name: 'Node', fields: [
      { name: 'label', type: ['null', 'string'], default: null },
      { name: 'weight', type: ['int', 'string'] },
      { name: 'next', type: ['null', 'Node'], default: null },
    ] },
    contains: { $defs: { Node: { required: ['weight'], properties: { label: { anyOf: [{ type: 'null' }, { type: 'string' }], default: null }, next: { anyOf: [{ type: 'null' }, { $ref: '#/$defs/Node' }] } } } } },
    valid: [{ weight: 1 }, { label: 'a', weight: 'heavy', next: { weight: 2, next: { label: null, weight: 3 } } }],
    invalid: [{ weight: true }, { weight: 1, next: { label: 'no weight' } }, { weight: 1, label: 5 }],
  },
  {
    name: 'Avro logical types: date, times, timestamps, decimal, uuid, duration',
    schemaType: 'AVRO',
    schema: { type: 'record', name: 'Event', fields: [
      { name: 'day', type: { type: 'int', logicalType: 'date' } },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'atMicros', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'localAt', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
      { name: 'time', type: { type: 'int', logicalType: 'time-millis' } },
      { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
      { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
      { name: 'wait', type: { type: 'fixed', name: 'Wait', size: 12, logicalType: 'duration' } },
      { name: 'maybeAt', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
    ] },
    contains: { $defs: { Event: { properties: {
      day: { type: 'integer', 'x-avro-logical-type': 'date' },
      at: { type: 'integer', 'x-avro-logical-type': 'timestamp-millis', description: expect.stringContaining('milliseconds since 1970') },
      atMicros: { 'x-avro-logical-type': 'timestamp-micros' },
      localAt: { 'x-avro-logical-type': 'local-timestamp-millis' },
      time: { 'x-avro-logical-type': 'time-millis' },
      amount: { type: 'string', contentEncoding: 'base64', 'x-avro-logical-type': 'decimal', description: expect.stringContaining('precision 9, scale 2') },
      id: { type: 'string', format: 'uuid', 'x-avro-logical-type': 'uuid' },
      maybeAt: { anyOf: [{ type: 'null' }, { type: 'integer', 'x-avro-logical-type': 'timestamp-millis' }] },
    } }, Wait: { type: 'string', 'x-avro-logical-type': 'duration' } } },
    valid: [{ day: 19000, at: 1_767_225_600_000, atMicros: 1, localAt: 2, time: 3, amount: 'AQI=', id: '0b2d7b3e-51a4-4e0f-9d49-4a2c1f0e8b77', wait: 'AAAAAAAAAAAAAAAA' }],
    invalid: [{ day: '2026-01-01', at: 1, atMicros: 1, localAt: 2, time: 3, amount: 'AQI=', id: '0b2d7b3e-51a4-4e0f-9d49-4a2c1f0e8b77', wait: 'AAAAAAAAAAAAAAAA' }],
  },
  {
    name: 'Avro: a named type from a reference keeps its logical types',
    schemaType: 'AVRO',
    schema: { type: 'record', name: 'Shipment', fields: [{ name: 'address', type: 'geo.Address' }] },
    references: { 'geo.Address': { type: 'record', name: 'Address', namespace: 'geo', fields: [{ name: 'street', type: 'string' }, { name: 'since', type: { type: 'long', logicalType: 'timestamp-millis' } }] } },
    contains: { $defs: { 'geo.Address': { required: ['street', 'since'], properties: { since: { 'x-avro-logical-type': 'timestamp-millis' } } }, Shipment: { properties: { address: { $ref: '#/$defs/geo.Address' } } } } },
    valid: [{ address: { street: 'Main', since: 5 } }],
    invalid: [{ address: { street: 'Main' } }],
  },
  {
    name: 'Avro: a primitive top-level schema',
    schemaType: 'AVRO',
    schema: '"string"',
    contains: { type: 'string' },
    valid: ['x'],
    invalid: [1, null],
  },
  {
    name: 'Protobuf scalars, 64-bit as strings, enums, nested and repeated messages, maps',
    schemaType: 'PROTOBUF',
    schema: `syntax = "proto3";
package shop;
/** An order. */
message Order {
  /** The order id. */
  int64 id = 1;
  uint32 count = 2;
  sint32 delta = 3;
  double price = 4;
  float ratio = 5;
  bool paid = 6;
  string note = 7;
  bytes blob = 8;
  Status status = 9;
  repeated Line lines = 10;
  map<string, int32> tags = 11;
  map<int64, string> byId = 12;
  optional string coupon = 13;
  uint64 big = 14;
  message Line { string sku = 1; int32 qty = 2; }
}
enum Status { NEW = 0; PAID = 1; }
`,
    contains: { $ref: '#/$defs/shop.Order', $defs: {
      'shop.Order': { type: 'object', additionalProperties: false, description: expect.stringContaining('An order.'), properties: {
        id: { type: 'string', pattern: '^-?[0-9]+$', description: expect.stringContaining('The order id.') },
        count: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1 },
        delta: { type: 'integer', minimum: -(2 ** 31) },
        price: { anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] },
        paid: { type: 'boolean' }, note: { type: 'string' }, blob: { type: 'string', contentEncoding: 'base64' },
        status: { enum: ['NEW', 'PAID'] },
        lines: { type: 'array', items: { $ref: '#/$defs/shop.Order.Line' } },
        tags: { type: 'object', additionalProperties: { type: 'integer' } },
        byId: { type: 'object', propertyNames: { pattern: '^-?[0-9]+$' }, additionalProperties: { type: 'string' } },
        big: { type: 'string', pattern: '^[0-9]+$' },
      } },
      'shop.Order.Line': { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } } },
    } },
    valid: [{}, { id: '9007199254740993', count: 4, delta: -2, price: 1.25, ratio: 0.5, paid: true, note: 'n', blob: 'AAE=', status: 'PAID', lines: [{ sku: 'a', qty: 1 }], tags: { x: 1 }, byId: { '-5': 'neg' }, coupon: 'c', big: '18446744073709551615' }],
    invalid: [{ id: 1.5 }, { count: -1 }, { status: 'LOST' }, { lines: [{ sku: 1 }] }, { unknown: 1 }, { byId: { abc: 'x' } }],
  },
  {
    name: 'Protobuf oneof: at most one member',
    schemaType: 'PROTOBUF',
    schema: 'syntax = "proto3";\nmessage Payment {\n  string id = 1;\n  oneof method {\n    string card = 2;\n    string iban = 3;\n    int32 voucher = 4;\n  }\n}\n',
    contains: { $defs: { Payment: { properties: { card: { type: 'string', description: expect.stringContaining('oneof method') } }, not: { anyOf: [{ required: ['card', 'iban'] }, { required: ['card', 'voucher'] }, { required: ['iban', 'voucher'] }] } } } },
    valid: [{ id: 'p' }, { id: 'p', iban: 'DE00' }, { voucher: 5 }],
    invalid: [{ card: '4111', iban: 'DE00' }, { voucher: 'five' }],
  },
  {
    name: 'Protobuf well-known types as their fields; a message other than the first by name',
    schemaType: 'PROTOBUF',
    schema: 'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\nimport "google/protobuf/wrappers.proto";\nmessage Other { string x = 1; }\nmessage Reading {\n  google.protobuf.Timestamp at = 1;\n  google.protobuf.Int32Value maybe = 2;\n}\n',
    messageName: 'Reading',
    contains: { $ref: '#/$defs/Reading', $defs: {
      'google.protobuf.Timestamp': { description: expect.stringContaining('Well-known type google.protobuf.Timestamp'), properties: { seconds: { type: 'string' }, nanos: { type: 'integer' } } },
      'google.protobuf.Int32Value': { properties: { value: { type: 'integer' } } },
    } },
    valid: [{ at: { seconds: '1767225600', nanos: 5 }, maybe: { value: 3 } }],
    invalid: [{ at: '2026-01-01T00:00:00Z' }],
  },
  {
    name: 'JSON Schema passes through; internal references kept',
    schemaType: 'JSON',
    schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', required: ['n'], properties: { n: { $ref: '#/definitions/count' }, tags: { type: 'array', items: { type: 'string' } } }, definitions: { count: { type: 'integer', minimum: 0 } } },
    contains: { type: 'object', required: ['n'], properties: { n: { $ref: '#/definitions/count' } }, definitions: { count: { type: 'integer' } } },
    valid: [{ n: 1 }, { n: 0, tags: ['a'] }],
    invalid: [{ n: -1 }, { tags: [] }, { n: 1, tags: [1] }],
  },
  {
    name: 'JSON Schema: references to other subjects bundled into $defs (also nested and with fragments)',
    schemaType: 'JSON',
    schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['to'], properties: { to: { $ref: 'address.json' }, zip: { $ref: 'address.json#/$defs/zip' }, from: { $ref: 'address.json' } } },
    references: {
      'address.json': { $id: 'address.json', type: 'object', required: ['street', 'country'], properties: { street: { type: 'string' }, zip: { $ref: '#/$defs/zip' }, country: { $ref: 'country.json' } }, $defs: { zip: { type: 'string', pattern: '^[0-9]{5}$' } } },
      'country.json': { type: 'string', enum: ['DE', 'FR'] },
    },
    contains: { properties: { to: { $ref: '#/$defs/address.json' }, zip: { $ref: '#/$defs/address.json/$defs/zip' } }, $defs: {
      'address.json': { properties: { zip: { $ref: '#/$defs/address.json/$defs/zip' }, country: { $ref: '#/$defs/country.json' } } },
      'country.json': { enum: ['DE', 'FR'] },
    } },
    valid: [{ to: { street: 's', country: 'DE', zip: '12345' }, zip: '54321' }],
    invalid: [{ to: { street: 's', country: 'US' } }, { to: { street: 's', country: 'DE' }, zip: 'abc' }],
  },
];

function parseRow(row: Row) {
  const stored = new Map<string, StoredSchema>();
  const references = Object.entries(row.references ?? {}).map(([name, schema], i) => {
    stored.set(`ref-${i}`, { id: 100 + i, schemaType: row.schemaType, schema: text(schema), references: [] });
    return { name, subject: `ref-${i}`, version: 1 };
  });
  // A reference may use the ones after it (address.json uses country.json).
  references.forEach((r, i) => stored.set(r.subject, { ...stored.get(r.subject)!, references: references.slice(i + 1) }));
  return parseSchema({ schemaType: row.schemaType, schema: text(row.schema), references }, (subject) => stored.get(subject), DEFAULT_SCHEMA_LIMITS);
}

describe('JSON Schema of the bridge JSON, per schema type', () => {
  it.each(ROWS.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const parsed = parseRow(row);
    const jsonSchema = parsed.jsonSchemaOfJson(row.messageName);
    expect(jsonSchema).toMatchObject(row.contains);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(jsonSchema);
    for (const record of row.valid) {
      const decoded = JSON.parse(parsed.decodeToJson(parsed.encodeJson(record, row.messageName))) as unknown;
      if (!validate(decoded)) throw new Error(`decoded ${JSON.stringify(decoded)} does not fit: ${ajv.errorsText(validate.errors)}`);
      if (!validate(record)) throw new Error(`accepted input ${JSON.stringify(record)} does not fit: ${ajv.errorsText(validate.errors)}`);
    }
    for (const record of row.invalid) {
      if (validate(record)) throw new Error(`${JSON.stringify(record)} should not fit ${JSON.stringify(jsonSchema)}`);
    }
  });

  it('the table covers each schema type', () => {
    expect(new Set(ROWS.map((r) => r.schemaType))).toEqual(new Set(['AVRO', 'PROTOBUF', 'JSON']));
  });
});
