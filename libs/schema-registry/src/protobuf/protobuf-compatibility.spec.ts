/**
 * Protobuf compatibility table. Verdicts follow Confluent's Protobuf compatibility rules (Schema
 * Evolution and Compatibility, "Protobuf" notes, and the Protobuf serdes documentation): fields
 * may be added, removed and renamed (matched by number), scalar types may change only within
 * Protobuf's wire-compatible groups (int32/int64/uint32/uint64/bool/enum, sint32/sint64,
 * string/bytes, fixed32/sfixed32, fixed64/sfixed64), enums may change freely, adding a message
 * type is backward but not forward compatible ("the best practice is BACKWARD_TRANSITIVE, because
 * adding new message types is not forward compatible"), a changed package, changed field kinds,
 * required fields added or removed and fields pulled into oneofs are incompatible.
 */
import { expectedVerdicts, verdicts, type CompatibilityRow } from '../testing/compatibility-table.test-util.js';

const proto3 = (body: string, pkg = 'acme') => `syntax = "proto3";\npackage ${pkg};\n${body}\n`;
const user = (fields: string, more = '') => proto3(`message User {\n${fields}\n}\n${more}`);

const ROWS: CompatibilityRow[] = [
  { name: 'identical schemas', old: user('string name = 1;'), new: user('string name = 1;'), backward: true, forward: true },
  { name: 'add a field', old: user('string name = 1;'), new: user('string name = 1; int32 age = 2;'), backward: true, forward: true },
  { name: 'remove a field', old: user('string name = 1; int32 age = 2;'), new: user('string name = 1;'), backward: true, forward: true },
  { name: 'remove a field and reserve its number', old: user('string name = 1; int32 age = 2;'), new: user('string name = 1; reserved 2;'), backward: true, forward: true },
  { name: 'rename a field (same number)', old: user('string name = 1;'), new: user('string full_name = 1;'), backward: true, forward: true },
  { name: 'renumber a field (one removed, one added)', old: user('string name = 1;'), new: user('string name = 2;'), backward: true, forward: true },
  { name: 'int32 to int64', old: user('int32 n = 1;'), new: user('int64 n = 1;'), backward: true, forward: true },
  { name: 'uint32 to uint64', old: user('uint32 n = 1;'), new: user('uint64 n = 1;'), backward: true, forward: true },
  { name: 'bool to int32', old: user('bool n = 1;'), new: user('int32 n = 1;'), backward: true, forward: true },
  { name: 'sint32 to sint64', old: user('sint32 n = 1;'), new: user('sint64 n = 1;'), backward: true, forward: true },
  { name: 'int32 to sint32', old: user('int32 n = 1;'), new: user('sint32 n = 1;'), backward: false, forward: false },
  { name: 'uint64 to sint64', old: user('uint64 n = 1;'), new: user('sint64 n = 1;'), backward: false, forward: false },
  { name: 'int32 to string', old: user('int32 n = 1;'), new: user('string n = 1;'), backward: false, forward: false },
  { name: 'string to bytes', old: user('string s = 1;'), new: user('bytes s = 1;'), backward: true, forward: true },
  { name: 'fixed32 to sfixed32', old: user('fixed32 n = 1;'), new: user('sfixed32 n = 1;'), backward: true, forward: true },
  { name: 'fixed32 to fixed64', old: user('fixed32 n = 1;'), new: user('fixed64 n = 1;'), backward: false, forward: false },
  { name: 'float to double', old: user('float n = 1;'), new: user('double n = 1;'), backward: false, forward: false },
  { name: 'double to int64', old: user('double n = 1;'), new: user('int64 n = 1;'), backward: false, forward: false },
  { name: 'enum field to int32', old: user('Kind k = 1;', 'enum Kind { A = 0; B = 1; }'), new: user('int32 k = 1;', 'enum Kind { A = 0; B = 1; }'), backward: true, forward: true },
  { name: 'string to a message', old: user('string a = 1;', 'message Addr { string city = 1; }'), new: user('Addr a = 1;', 'message Addr { string city = 1; }'), backward: false, forward: false },
  {
    name: 'a message field changes to another message type',
    old: user('Addr a = 1;', 'message Addr { string city = 1; }\nmessage Place { string city = 1; }'),
    new: user('Place a = 1;', 'message Addr { string city = 1; }\nmessage Place { string city = 1; }'),
    backward: false,
    forward: false,
  },
  { name: 'a message field to a map', old: user('Addr a = 1;', 'message Addr { string city = 1; }'), new: user('map<string, string> a = 1;', 'message Addr { string city = 1; }'), backward: false, forward: false },
  { name: 'map values int32 to int64', old: user('map<string, int32> m = 1;'), new: user('map<string, int64> m = 1;'), backward: true, forward: true },
  { name: 'map keys string to int32', old: user('map<string, int32> m = 1;'), new: user('map<int32, int32> m = 1;'), backward: false, forward: false },
  { name: 'repeated int32 to repeated int64', old: user('repeated int32 n = 1;'), new: user('repeated int64 n = 1;'), backward: true, forward: true },
  { name: 'add a message type', old: user('string name = 1;'), new: user('string name = 1;', 'message Audit { string by = 1; }'), backward: true, forward: false },
  { name: 'remove a message type', old: user('string name = 1;', 'message Audit { string by = 1; }'), new: user('string name = 1;'), backward: false, forward: true },
  { name: 'reorder message types', old: proto3('message A { int32 a = 1; }\nmessage B { int32 b = 1; }'), new: proto3('message B { int32 b = 1; }\nmessage A { int32 a = 1; }'), backward: true, forward: true },
  { name: 'add an enum type', old: user('string name = 1;'), new: user('string name = 1;', 'enum Kind { A = 0; }'), backward: true, forward: true },
  { name: 'remove an enum type', old: user('string name = 1;', 'enum Kind { A = 0; }'), new: user('string name = 1;'), backward: true, forward: true },
  { name: 'add an enum value', old: user('Kind k = 1;', 'enum Kind { A = 0; }'), new: user('Kind k = 1;', 'enum Kind { A = 0; B = 1; }'), backward: true, forward: true },
  { name: 'remove an enum value', old: user('Kind k = 1;', 'enum Kind { A = 0; B = 1; }'), new: user('Kind k = 1;', 'enum Kind { A = 0; }'), backward: true, forward: true },
  { name: 'change the package', old: user('string name = 1;'), new: proto3('message User { string name = 1; }', 'acme.v2'), backward: false, forward: false },
  {
    name: 'add a required field (proto2)',
    old: 'syntax = "proto2";\nmessage User { optional string name = 1; }',
    new: 'syntax = "proto2";\nmessage User { optional string name = 1; required int32 age = 2; }',
    backward: false,
    forward: false,
  },
  {
    name: 'add an optional field (proto2)',
    old: 'syntax = "proto2";\nmessage User { optional string name = 1; }',
    new: 'syntax = "proto2";\nmessage User { optional string name = 1; optional int32 age = 2; }',
    backward: true,
    forward: true,
  },
  { name: 'make a field proto3 optional', old: user('int32 n = 1;'), new: user('optional int32 n = 1;'), backward: true, forward: true },
  { name: 'add a oneof with new fields', old: user('string name = 1;'), new: user('string name = 1; oneof contact { string phone = 2; string mail = 3; }'), backward: true, forward: true },
  { name: 'add a field to a oneof', old: user('oneof contact { string phone = 2; }'), new: user('oneof contact { string phone = 2; string mail = 3; }'), backward: true, forward: false },
  { name: 'remove a field from a oneof', old: user('oneof contact { string phone = 2; string mail = 3; }'), new: user('oneof contact { string phone = 2; }'), backward: false, forward: true },
  { name: 'move one field into a new oneof', old: user('string phone = 2;'), new: user('oneof contact { string phone = 2; string mail = 3; }'), backward: true, forward: true },
  { name: 'move two fields into a new oneof', old: user('string phone = 2; string mail = 3;'), new: user('oneof contact { string phone = 2; string mail = 3; }'), backward: false, forward: true },
  { name: 'move a field into an existing oneof', old: user('string phone = 2; oneof contact { string mail = 3; }'), new: user('oneof contact { string phone = 2; string mail = 3; }'), backward: false, forward: true },
  { name: 'rename a oneof', old: user('oneof contact { string phone = 2; }'), new: user('oneof reach { string phone = 2; }'), backward: true, forward: true },
  { name: 'add a field to a nested message', old: user('Addr a = 1;\nmessage Addr { string city = 1; }'), new: user('Addr a = 1;\nmessage Addr { string city = 1; string zip = 2; }'), backward: true, forward: true },
  { name: 'change a field type in a nested message', old: user('Addr a = 1;\nmessage Addr { string city = 1; }'), new: user('Addr a = 1;\nmessage Addr { int32 city = 1; }'), backward: false, forward: false },
  { name: 'remove a nested message', old: user('string name = 1;\nmessage Addr { string city = 1; }'), new: user('string name = 1;'), backward: false, forward: true },
  { name: 'recursive message gains a field', old: proto3('message Node { Node next = 1; }'), new: proto3('message Node { Node next = 1; string label = 2; }'), backward: true, forward: true },
];

describe('Protobuf compatibility table', () => {
  it('has at least 40 pairs', () => expect(ROWS.length).toBeGreaterThanOrEqual(40));

  it.each(ROWS.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    expect(verdicts('PROTOBUF', row)).toEqual(expectedVerdicts(row));
  });
});
