/**
 * JSON Schema compatibility table. Verdicts follow Confluent's documented JSON Schema rules
 * (the "JSON Schema" section of Schema Evolution and Compatibility, and the content-model rules of
 * Confluent's JSON Schema serdes documentation): BACKWARD holds when the new schema accepts every
 * document the old one accepted; open content models (additionalProperties absent or true) make
 * adding a typed property incompatible and removing one compatible, closed models the reverse;
 * loosening a bound is compatible, tightening it is not; enums may grow; unions (anyOf/oneOf) may
 * gain branches and products (allOf) lose them; integer widens to number.
 */
import { expectedVerdicts, verdicts, type CompatibilityRow } from '../testing/compatibility-table.test-util.js';

const closed = (properties: object, more: object = {}) => ({ type: 'object', properties, additionalProperties: false, ...more });
const open = (properties: object, more: object = {}) => ({ type: 'object', properties, ...more });
const str = { type: 'string' };
const int = { type: 'integer' };

const ROWS: CompatibilityRow[] = [
  { name: 'identical schemas', old: closed({ a: str }), new: closed({ a: str }), backward: true, forward: true },
  { name: 'closed model: add an optional property', old: closed({ a: str }), new: closed({ a: str, b: str }), backward: true, forward: false },
  { name: 'closed model: remove a property', old: closed({ a: str, b: str }), new: closed({ a: str }), backward: false, forward: true },
  { name: 'open model: add a typed property', old: open({ a: str }), new: open({ a: str, b: str }), backward: false, forward: true },
  { name: 'open model: remove a property', old: open({ a: str, b: str }), new: open({ a: str }), backward: true, forward: false },
  { name: 'open model: add a property with an empty schema', old: open({ a: str }), new: open({ a: str, b: {} }), backward: true, forward: true },
  { name: 'closed model: add a required property without a default', old: closed({ a: str }), new: closed({ a: str, b: str }, { required: ['b'] }), backward: false, forward: false },
  { name: 'closed model: add a required property with a default', old: closed({ a: str }), new: closed({ a: str, b: { type: 'string', default: 'x' } }, { required: ['b'] }), backward: true, forward: false },
  { name: 'make a property required', old: closed({ a: str }), new: closed({ a: str }, { required: ['a'] }), backward: false, forward: true },
  { name: 'make a property optional', old: closed({ a: str }, { required: ['a'] }), new: closed({ a: str }), backward: true, forward: false },
  { name: 'partially open model covers an added property', old: closed({ a: str }, { additionalProperties: str }), new: closed({ a: str, b: str }, { additionalProperties: str }), backward: true, forward: true },
  { name: 'partially open model does not cover an added property', old: closed({ a: str }, { additionalProperties: str }), new: closed({ a: str, b: int }, { additionalProperties: str }), backward: false, forward: false },
  { name: 'add maxLength', old: str, new: { type: 'string', maxLength: 10 }, backward: false, forward: true },
  { name: 'increase maxLength', old: { type: 'string', maxLength: 10 }, new: { type: 'string', maxLength: 20 }, backward: true, forward: false },
  { name: 'decrease maxLength', old: { type: 'string', maxLength: 20 }, new: { type: 'string', maxLength: 10 }, backward: false, forward: true },
  { name: 'add minLength', old: str, new: { type: 'string', minLength: 3 }, backward: false, forward: true },
  { name: 'decrease minLength', old: { type: 'string', minLength: 5 }, new: { type: 'string', minLength: 2 }, backward: true, forward: false },
  { name: 'add a pattern', old: str, new: { type: 'string', pattern: '^a' }, backward: false, forward: true },
  { name: 'change a pattern', old: { type: 'string', pattern: '^a' }, new: { type: 'string', pattern: '^b' }, backward: false, forward: false },
  { name: 'remove a pattern', old: { type: 'string', pattern: '^a' }, new: str, backward: true, forward: false },
  { name: 'add a maximum', old: int, new: { type: 'integer', maximum: 10 }, backward: false, forward: true },
  { name: 'increase a maximum', old: { type: 'integer', maximum: 10 }, new: { type: 'integer', maximum: 20 }, backward: true, forward: false },
  { name: 'increase a minimum', old: { type: 'integer', minimum: 0 }, new: { type: 'integer', minimum: 5 }, backward: false, forward: true },
  { name: 'remove exclusiveMinimum', old: { type: 'number', exclusiveMinimum: 0 }, new: { type: 'number' }, backward: true, forward: false },
  { name: 'add multipleOf', old: int, new: { type: 'integer', multipleOf: 2 }, backward: false, forward: true },
  { name: 'reduce multipleOf to a divisor', old: { type: 'integer', multipleOf: 4 }, new: { type: 'integer', multipleOf: 2 }, backward: true, forward: false },
  { name: 'widen integer to number', old: int, new: { type: 'number' }, backward: true, forward: false },
  { name: 'narrow number to integer', old: { type: 'number' }, new: int, backward: false, forward: true },
  { name: 'change string to number', old: str, new: { type: 'number' }, backward: false, forward: false },
  { name: 'allow null beside string (type array)', old: str, new: { type: ['string', 'null'] }, backward: true, forward: false },
  { name: 'extend an enum', old: { enum: ['a', 'b'] }, new: { enum: ['a', 'b', 'c'] }, backward: true, forward: false },
  { name: 'narrow an enum', old: { enum: ['a', 'b', 'c'] }, new: { enum: ['a', 'b'] }, backward: false, forward: true },
  { name: 'change a const', old: { const: 'a' }, new: { const: 'b' }, backward: false, forward: false },
  { name: 'anyOf gains a branch', old: { anyOf: [str, int] }, new: { anyOf: [str, int, { type: 'boolean' }] }, backward: true, forward: false },
  { name: 'oneOf loses a branch', old: { oneOf: [str, int] }, new: { oneOf: [str] }, backward: false, forward: true },
  { name: 'allOf gains a subschema', old: { allOf: [open({ a: str })] }, new: { allOf: [open({ a: str }), { required: ['a'] }] }, backward: false, forward: true },
  { name: 'anyOf changed to oneOf', old: { anyOf: [str, int] }, new: { oneOf: [str, int] }, backward: false, forward: true },
  { name: 'a type becomes a union containing it', old: str, new: { anyOf: [str, int] }, backward: true, forward: false },
  { name: 'change array items type', old: { type: 'array', items: str }, new: { type: 'array', items: int }, backward: false, forward: false },
  { name: 'add maxItems', old: { type: 'array', items: str }, new: { type: 'array', items: str, maxItems: 3 }, backward: false, forward: true },
  { name: 'decrease minItems', old: { type: 'array', items: str, minItems: 3 }, new: { type: 'array', items: str, minItems: 1 }, backward: true, forward: false },
  { name: 'add uniqueItems', old: { type: 'array', items: str }, new: { type: 'array', items: str, uniqueItems: true }, backward: false, forward: true },
  { name: 'open a closed model (additionalProperties false -> true)', old: closed({ a: str }), new: closed({ a: str }, { additionalProperties: true }), backward: true, forward: false },
  { name: 'restrict additional properties with a schema', old: open({ a: str }), new: open({ a: str }, { additionalProperties: str }), backward: false, forward: true },
  { name: 'change title and description only', old: { ...closed({ a: str }), title: 'A', description: 'x' }, new: { ...closed({ a: str }), title: 'B', description: 'y' }, backward: true, forward: true },
  { name: 'change a nested property type', old: closed({ a: closed({ b: str }) }), new: closed({ a: closed({ b: int }) }), backward: false, forward: false },
  {
    name: 'closed tuple (2020-12 prefixItems, items false): add an item',
    old: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [str], items: false },
    new: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [str, int], items: false },
    backward: true,
    forward: false,
  },
  {
    name: 'a $ref target gains a typed property in an open model',
    old: { definitions: { Addr: open({ city: str }) }, type: 'object', properties: { a: { $ref: '#/definitions/Addr' } } },
    new: { definitions: { Addr: open({ city: str, zip: str }) }, type: 'object', properties: { a: { $ref: '#/definitions/Addr' } } },
    backward: false,
    forward: true,
  },
  { name: 'true (anything) narrowed to string', old: true, new: str, backward: false, forward: true },
  { name: 'add a property dependency', old: open({ a: str, b: str }), new: open({ a: str, b: str }, { dependencies: { a: ['b'] } }), backward: false, forward: true },
];

describe('JSON Schema compatibility table', () => {
  it('has at least 40 pairs', () => expect(ROWS.length).toBeGreaterThanOrEqual(40));

  it.each(ROWS.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    expect(verdicts('JSON', row)).toEqual(expectedVerdicts(row));
  });
});
