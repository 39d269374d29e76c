import { SpoolError } from '@spool/common';
import { parseProduceRequest } from './produce-request.schema.js';

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
  it('accepts the contract shape and defaults acks=leader, format=json', () => {
    const r = parse({ records: [{ key: 'k', value: { a: 1 }, headers: { h: 'v', n: null }, partition: 2, timestamp: 5 }] });
    expect(r.acks).toBe('leader');
    expect(r.format).toBe('json');
    expect(r.records[0]).toEqual({
      key: Buffer.from('"k"'),
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

  it('refuses values that do not fit the format with INVALID_RECORD', () => {
    expect(codeOf(() => parse({ format: 'string', records: [{ value: 1 }] }))).toMatch(/^INVALID_RECORD: records\[0\]\.value/);
    expect(codeOf(() => parse({ format: 'binary', records: [{ value: 'AA' }] }))).toMatch(/^INVALID_RECORD/);
    expect(codeOf(() => parse({ format: 'binary', records: [{ value: 'AA==', headers: { h: 'no!' } }] }))).toMatch(/headers\.h/);
  });

  it('refuses more records than the limit with RECORD_LIST_TOO_LARGE before validating them', () => {
    expect(codeOf(() => parse({ records: Array.from({ length: 11 }, () => ({ bogus: true })) }))).toMatch(/^RECORD_LIST_TOO_LARGE.*11 records.*10/);
  });
});
