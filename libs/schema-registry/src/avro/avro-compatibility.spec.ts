/**
 * Avro compatibility table. Verdicts follow Confluent's "Schema Evolution and Compatibility"
 * summary (BACKWARD: delete fields, add optional fields; FORWARD: add fields, delete optional
 * fields; FULL: add or delete optional fields) and the Avro specification's schema resolution
 * rules it defers to (promotions int->long->float->double and string<->bytes, enum symbols and
 * defaults, names and aliases, fixed sizes, unions branch by branch).
 */
import { expectedVerdicts, verdicts, type CompatibilityRow } from '../testing/compatibility-table.test-util.js';

const rec = (fields: object[], extra: object = {}) => ({ type: 'record', name: 'User', namespace: 'acme', fields, ...extra });
const id = { name: 'id', type: 'long' };
const field = (name: string, type: unknown, more: object = {}) => ({ name, type, ...more });
const kind = (symbols: string[], more: object = {}) => ({ type: 'enum', name: 'Kind', symbols, ...more });
const address = (fields: object[]) => ({ type: 'record', name: 'Address', fields });

const ROWS: CompatibilityRow[] = [
  { name: 'identical schemas', old: rec([id]), new: rec([id]), backward: true, forward: true },
  { name: 'add a field with a default', old: rec([id]), new: rec([id, field('email', 'string', { default: '' })]), backward: true, forward: true },
  { name: 'add a field without a default', old: rec([id]), new: rec([id, field('email', 'string')]), backward: false, forward: true },
  { name: 'delete a field that had a default', old: rec([id, field('email', 'string', { default: '' })]), new: rec([id]), backward: true, forward: true },
  { name: 'delete a field without a default', old: rec([id, field('email', 'string')]), new: rec([id]), backward: true, forward: false },
  { name: 'promote int to long', old: rec([field('n', 'int')]), new: rec([field('n', 'long')]), backward: true, forward: false },
  { name: 'demote long to int', old: rec([field('n', 'long')]), new: rec([field('n', 'int')]), backward: false, forward: true },
  { name: 'promote int to float', old: rec([field('n', 'int')]), new: rec([field('n', 'float')]), backward: true, forward: false },
  { name: 'promote int to double', old: rec([field('n', 'int')]), new: rec([field('n', 'double')]), backward: true, forward: false },
  { name: 'promote long to double', old: rec([field('n', 'long')]), new: rec([field('n', 'double')]), backward: true, forward: false },
  { name: 'promote float to double', old: rec([field('n', 'float')]), new: rec([field('n', 'double')]), backward: true, forward: false },
  { name: 'demote double to float', old: rec([field('n', 'double')]), new: rec([field('n', 'float')]), backward: false, forward: true },
  { name: 'string to bytes', old: rec([field('s', 'string')]), new: rec([field('s', 'bytes')]), backward: true, forward: true },
  { name: 'bytes to string', old: rec([field('s', 'bytes')]), new: rec([field('s', 'string')]), backward: true, forward: true },
  { name: 'string to int', old: rec([field('s', 'string')]), new: rec([field('s', 'int')]), backward: false, forward: false },
  { name: 'int to string', old: rec([field('s', 'int')]), new: rec([field('s', 'string')]), backward: false, forward: false },
  { name: 'boolean to int', old: rec([field('b', 'boolean')]), new: rec([field('b', 'int')]), backward: false, forward: false },
  { name: 'int to a union with int', old: rec([field('n', 'int')]), new: rec([field('n', ['null', 'int'])]), backward: true, forward: false },
  { name: 'a union with int to int', old: rec([field('n', ['null', 'int'])]), new: rec([field('n', 'int')]), backward: false, forward: true },
  { name: 'add a union branch', old: rec([field('v', ['null', 'string'])]), new: rec([field('v', ['null', 'string', 'int'])]), backward: true, forward: false },
  { name: 'remove a union branch', old: rec([field('v', ['null', 'string', 'int'])]), new: rec([field('v', ['null', 'string'])]), backward: false, forward: true },
  { name: 'reorder union branches', old: rec([field('v', ['null', 'string'])]), new: rec([field('v', ['string', 'null'])]), backward: true, forward: true },
  { name: 'int to a union of int and string', old: rec([field('v', 'int')]), new: rec([field('v', ['int', 'string'])]), backward: true, forward: false },
  { name: 'null to an optional int', old: rec([field('v', 'null')]), new: rec([field('v', ['null', 'int'])]), backward: true, forward: false },
  { name: 'make a field optional (union with null, default null)', old: rec([field('s', 'string')]), new: rec([field('s', ['null', 'string'], { default: null })]), backward: true, forward: false },
  { name: 'add an optional field (union with null, default null)', old: rec([id]), new: rec([id, field('nick', ['null', 'string'], { default: null })]), backward: true, forward: true },
  { name: 'add an enum symbol', old: rec([field('k', kind(['A', 'B']))]), new: rec([field('k', kind(['A', 'B', 'C']))]), backward: true, forward: false },
  { name: 'remove an enum symbol', old: rec([field('k', kind(['A', 'B', 'C']))]), new: rec([field('k', kind(['A', 'B']))]), backward: false, forward: true },
  { name: 'remove an enum symbol, reader enum has a default', old: rec([field('k', kind(['A', 'B', 'C']))]), new: rec([field('k', kind(['A', 'B'], { default: 'A' }))]), backward: true, forward: true },
  { name: 'add an enum symbol, old enum has a default', old: rec([field('k', kind(['A', 'B'], { default: 'A' }))]), new: rec([field('k', kind(['A', 'B', 'C'], { default: 'A' }))]), backward: true, forward: true },
  { name: 'rename an enum', old: rec([field('k', kind(['A']))]), new: rec([field('k', { type: 'enum', name: 'Kind2', symbols: ['A'] })]), backward: false, forward: false },
  { name: 'rename an enum with an alias to the old name', old: rec([field('k', kind(['A']))]), new: rec([field('k', { type: 'enum', name: 'Kind2', aliases: ['Kind'], symbols: ['A'] })]), backward: true, forward: false },
  { name: 'rename the record', old: rec([id]), new: rec([id], { name: 'Person' }), backward: false, forward: false },
  { name: 'rename the record with an alias to the old name', old: rec([id]), new: rec([id], { name: 'Person', aliases: ['acme.User'] }), backward: true, forward: false },
  { name: 'change the namespace only (names compare unqualified)', old: rec([id]), new: rec([id], { namespace: 'other' }), backward: true, forward: true },
  { name: 'rename a field without an alias', old: rec([field('mail', 'string')]), new: rec([field('email', 'string')]), backward: false, forward: false },
  { name: 'rename a field with an alias to the old name', old: rec([field('mail', 'string')]), new: rec([field('email', 'string', { aliases: ['mail'] })]), backward: true, forward: false },
  { name: 'rename a field with an alias and a default', old: rec([field('mail', 'string')]), new: rec([field('email', 'string', { aliases: ['mail'], default: '' })]), backward: true, forward: false },
  { name: 'change a fixed size', old: rec([field('f', { type: 'fixed', name: 'Hash', size: 16 })]), new: rec([field('f', { type: 'fixed', name: 'Hash', size: 32 })]), backward: false, forward: false },
  { name: 'same fixed', old: rec([field('f', { type: 'fixed', name: 'Hash', size: 16 })]), new: rec([field('f', { type: 'fixed', name: 'Hash', size: 16 })]), backward: true, forward: true },
  { name: 'promote array items int to long', old: rec([field('a', { type: 'array', items: 'int' })]), new: rec([field('a', { type: 'array', items: 'long' })]), backward: true, forward: false },
  { name: 'demote array items long to int', old: rec([field('a', { type: 'array', items: 'long' })]), new: rec([field('a', { type: 'array', items: 'int' })]), backward: false, forward: true },
  { name: 'promote map values int to long', old: rec([field('m', { type: 'map', values: 'int' })]), new: rec([field('m', { type: 'map', values: 'long' })]), backward: true, forward: false },
  { name: 'map to array', old: rec([field('m', { type: 'map', values: 'int' })]), new: rec([field('m', { type: 'array', items: 'int' })]), backward: false, forward: false },
  { name: 'add a field with a default to a nested record', old: rec([field('a', address([field('city', 'string')]))]), new: rec([field('a', address([field('city', 'string'), field('zip', 'string', { default: '' })]))]), backward: true, forward: true },
  { name: 'add a field without a default to a nested record', old: rec([field('a', address([field('city', 'string')]))]), new: rec([field('a', address([field('city', 'string'), field('zip', 'string')]))]), backward: false, forward: true },
  { name: 'add a nested record field with a default', old: rec([id]), new: rec([id, field('a', address([field('city', 'string')]), { default: { city: '' } })]), backward: true, forward: true },
  { name: 'replace a field: delete one without default, add one with', old: rec([id, field('a', 'string')]), new: rec([id, field('b', 'string', { default: '' })]), backward: true, forward: false },
  { name: 'logical type removed (same underlying long)', old: rec([field('t', { type: 'long', logicalType: 'timestamp-millis' })]), new: rec([field('t', 'long')]), backward: true, forward: true },
  { name: 'top-level primitive string to int', old: '"string"', new: '"int"', backward: false, forward: false },
  { name: 'top-level primitive int to long', old: '"int"', new: '"long"', backward: true, forward: false },
  {
    name: 'recursive record gains a field with a default',
    old: { type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] },
    new: { type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }, { name: 'label', type: 'string', default: '' }] },
    backward: true,
    forward: true,
  },
];

describe('Avro compatibility table', () => {
  it('has at least 40 pairs', () => expect(ROWS.length).toBeGreaterThanOrEqual(40));

  it.each(ROWS.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    expect(verdicts('AVRO', row)).toEqual(expectedVerdicts(row));
  });
});
