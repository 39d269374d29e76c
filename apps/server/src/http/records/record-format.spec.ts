import { SpoolError } from '@spool/common';
import { decodeData, decodeHeaderValue, encodeData, encodeHeaderValue } from './record-format.js';
import { HttpApiError } from '../errors/http-api.error.js';

describe('record formats', () => {
  it('json stores the JSON text and reads it back equal', () => {
    const bytes = encodeData({ a: [1, 'b'] }, 'json', () => 'value');
    expect(bytes?.toString()).toBe('{"a":[1,"b"]}');
    expect(decodeData(bytes, 'json', 0, 'value')).toEqual({ a: [1, 'b'] });
    expect(encodeData('user-1', 'json', () => 'key')?.toString()).toBe('"user-1"');
  });

  it('string stores UTF-8 and refuses non-strings', () => {
    expect(encodeData('héllo', 'string', () => 'value')).toEqual(Buffer.from('héllo'));
    expect(() => encodeData(5, 'string', () => 'records[0].value')).toThrow(SpoolError);
  });

  it('binary takes strict padded base64 only', () => {
    expect(encodeData('AAEC/w==', 'binary', () => 'value')).toEqual(Buffer.from([0, 1, 2, 255]));
    for (const bad of ['AAEC/w=', 'AA EC', '***', 12]) expect(() => encodeData(bad, 'binary', () => 'value')).toThrow(/base64/);
    expect(decodeData(Buffer.from([0, 1, 2, 255]), 'binary', 0, 'value')).toBe('AAEC/w==');
  });

  it('null is null in every format (tombstones, null keys, null header values)', () => {
    for (const f of ['json', 'string', 'binary'] as const) {
      expect(encodeData(null, f, () => 'value')).toBeNull();
      expect(decodeData(null, f, 0, 'value')).toBeNull();
      expect(encodeHeaderValue(null, f, () => 'h')).toBeNull();
    }
  });

  it('refuses to render bytes lossily: non-UTF-8 as string, non-JSON as json', () => {
    const e1 = (() => { try { decodeData(Buffer.from([0xff, 0xfe]), 'string', 7, 'value'); } catch (e) { return e; } })();
    expect(e1).toBeInstanceOf(HttpApiError);
    expect((e1 as HttpApiError).code).toBe('RECORD_FORMAT_MISMATCH');
    expect(() => decodeData(Buffer.from('not json'), 'json', 7, 'value')).toThrow(/offset 7/);
    expect(() => decodeHeaderValue(Buffer.from([0xc3]), 'json', 1, 'h')).toThrow(/UTF-8/);
  });
});

describe('json format fast path', () => {
  it('stores exactly the bytes JSON.stringify would, for any string (seeded)', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (s) => {
        expect(encodeData(s, 'json', () => 'v')).toEqual(Buffer.from(JSON.stringify(s), 'utf8'));
      }),
      { seed: 3003, numRuns: 3000 },
    );
    for (const s of ['"', '\\', '\n', '\u0000', '\ud800', 'a\udc00b', '😀', 'plain']) {
      expect(encodeData(s, 'json', () => 'v')).toEqual(Buffer.from(JSON.stringify(s), 'utf8'));
    }
  });
});
