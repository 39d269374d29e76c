import fc from 'fast-check';
import { SpoolError } from '@spool/common';
import { encodeHeaderValue, encodeKey, encodeValue } from './record-encoding.js';

const name = () => 'records[0].value';

describe('record encoding (produce)', () => {
  it('string keys are their UTF-8 bytes (what a Kafka client sends); other JSON keys their JSON text', () => {
    expect(encodeKey('user-42', 'string', name)).toEqual(Buffer.from('user-42'));
    expect(encodeKey('héllo ✓', 'string', name)).toEqual(Buffer.from('héllo ✓', 'utf8'));
    expect(encodeKey('', 'string', name)).toEqual(Buffer.alloc(0));
    expect(encodeKey(42, 'string', name)).toEqual(Buffer.from('42'));
    expect(encodeKey({ id: 1 }, 'string', name)).toEqual(Buffer.from('{"id":1}'));
    expect(encodeKey('user-42', 'json', name)).toEqual(Buffer.from('"user-42"'));
    expect(encodeKey('AAH/', 'binary', name)).toEqual(Buffer.from([0, 1, 255]));
  });

  it('json values are their JSON text; string values must be strings; binary strict padded base64', () => {
    expect(encodeValue({ a: [1, 'b'] }, 'json', name)?.toString()).toBe('{"a":[1,"b"]}');
    expect(encodeValue('héllo', 'string', name)).toEqual(Buffer.from('héllo'));
    expect(() => encodeValue(5, 'string', name)).toThrow(SpoolError);
    expect(encodeValue('AAEC/w==', 'binary', name)).toEqual(Buffer.from([0, 1, 2, 255]));
    for (const bad of ['AAEC/w=', 'AA EC', '***', 12]) expect(() => encodeValue(bad, 'binary', name)).toThrow(/base64/);
  });

  it('null is null in every format (tombstones, null keys, null header values)', () => {
    for (const f of ['json', 'string', 'binary'] as const) {
      expect(encodeKey(null, f, name)).toBeNull();
      expect(encodeValue(null, f, name)).toBeNull();
      expect(encodeHeaderValue(null, f, name)).toBeNull();
    }
  });

  it('header values are strings, or base64 with valueFormat=binary', () => {
    expect(encodeHeaderValue('v', 'json', name)).toEqual(Buffer.from('v'));
    expect(encodeHeaderValue('AA==', 'binary', name)).toEqual(Buffer.from([0]));
    expect(() => encodeHeaderValue(1, 'string', name)).toThrow(/string or null/);
  });

  it('the json fast path stores exactly the bytes JSON.stringify would, for any string (seeded)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (s) => {
        expect(encodeValue(s, 'json', name)).toEqual(Buffer.from(JSON.stringify(s), 'utf8'));
      }),
      { seed: 3003, numRuns: 3000 },
    );
    for (const s of ['"', '\\', '\n', '\u0000', '\ud800', 'a\udc00b', '😀', 'plain']) {
      expect(encodeValue(s, 'json', name)).toEqual(Buffer.from(JSON.stringify(s), 'utf8'));
    }
  });
});
