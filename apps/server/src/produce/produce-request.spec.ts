import { SpoolError } from '@spool/common';
import { parseProduceRequest } from './produce-request.js';

const parse = (body: unknown, max = 10) => parseProduceRequest(body, max);
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as SpoolError).code + ': ' + (e as SpoolError).message;
  }
  return 'no error';
};

describe('parseProduceRequest', () => {
  it('accepts the contract shape and defaults acks=all, keyFormat=string, valueFormat=json', () => {
    const r = parse({ records: [{ key: 'k', value: { a: 1 }, headers: { h: 'v', n: null }, partition: 2, timestamp: 5 }] });
    expect(r.acks).toBe('all');
    expect(r.formats).toEqual({ key: 'string', value: 'json' });
    expect(r.records[0]).toEqual({
      key: Buffer.from('k'),
      value: Buffer.from('{"a":1}'),
      headers: [{ key: 'h', value: Buffer.from('v') }, { key: 'n', value: null }],
      partition: 2,
      timestamp: 5,
    });
  });

  it('refuses malformed bodies with INVALID_REQUEST naming the field', () => {
    expect(codeOf(() => parse(null))).toMatch(/^INVALID_REQUEST/);
    expect(codeOf(() => parse({ records: [] }))).toMatch(/^INVALID_REQUEST/);
    expect(codeOf(() => parse({ records: [{ key: 'k' }] }))).toMatch(/INVALID_REQUEST.*records\[0\].*value/);
    expect(codeOf(() => parse({ records: [{ value: 1, extra: 1 }] }))).toMatch(/unknown field "extra"/);
    expect(codeOf(() => parse({ records: [{ value: 1, partition: -1 }] }))).toMatch(/partition/);
    expect(codeOf(() => parse({ records: [{ value: 1, partition: 1.5 }] }))).toMatch(/partition/);
    expect(codeOf(() => parse({ records: [{ value: 1, timestamp: '5' }] }))).toMatch(/timestamp/);
    expect(codeOf(() => parse({ records: [{ value: 1, headers: { h: 1 } }] }))).toMatch(/headers/);
    expect(codeOf(() => parse({ records: [{ value: 1 }], acks: 'some' }))).toMatch(/acks/);
  });

  it('keeps keyFormat and valueFormat apart; format is the value shorthand and must agree with valueFormat', () => {
    const r = parse({ keyFormat: 'binary', format: 'string', records: [{ key: 'AAE=', value: '{"not":"json"}' }] });
    expect(r.formats).toEqual({ key: 'binary', value: 'string' });
    expect(r.records[0].key).toEqual(Buffer.from([0, 1]));
    expect(r.records[0].value).toEqual(Buffer.from('{"not":"json"}'));
    expect(parse({ keyFormat: 'json', records: [{ key: 'k', value: 1 }] }).records[0].key).toEqual(Buffer.from('"k"'));
    expect(parse({ records: [{ key: 42, value: 1 }] }).records[0].key).toEqual(Buffer.from('42'));
    expect(codeOf(() => parse({ format: 'string', valueFormat: 'json', records: [{ value: 1 }] }))).toMatch(/^INVALID_REQUEST: format is a shorthand for valueFormat/);
    expect(codeOf(() => parse({ keyFormat: 'auto', records: [{ value: 1 }] }))).toMatch(/^INVALID_REQUEST.*keyFormat/);
  });

  it('marks string and binary values with a content-type header, JSON values and tombstones not, a given one wins', () => {
    const header = (body: object) => parse(body).records[0].headers.map((h) => [h.key, h.value?.toString('latin1') ?? null]);
    expect(header({ records: [{ value: { a: 1 } }] })).toEqual([]);
    expect(header({ format: 'string', records: [{ value: '42' }] })).toEqual([['content-type', 'text/plain; charset=utf-8']]);
    expect(header({ format: 'binary', records: [{ value: 'AA==', headers: { h: 'AQ==' } }] })).toEqual([
      ['h', '\u0001'],
      ['content-type', 'application/octet-stream'],
    ]);
    expect(header({ format: 'string', records: [{ value: null }] })).toEqual([]);
    expect(header({ format: 'string', records: [{ value: 'x', headers: { 'Content-Type': 'text/csv' } }] })).toEqual([['Content-Type', 'text/csv']]);
  });

  it('refuses values that do not fit the format with INVALID_RECORD', () => {
    expect(codeOf(() => parse({ format: 'string', records: [{ value: 1 }] }))).toMatch(/^INVALID_RECORD: records\[0\]\.value/);
    expect(codeOf(() => parse({ format: 'binary', records: [{ value: 'AA' }] }))).toMatch(/^INVALID_RECORD/);
    expect(codeOf(() => parse({ format: 'binary', records: [{ value: 'AA==', headers: { h: 'no!' } }] }))).toMatch(/headers\.h/);
  });

  it('refuses more records than the limit with RECORD_LIST_TOO_LARGE before validating them', () => {
    expect(codeOf(() => parse({ records: Array.from({ length: 11 }, () => ({ bogus: true })) }))).toMatch(/^RECORD_LIST_TOO_LARGE.*11 records.*10/);
  });
});
