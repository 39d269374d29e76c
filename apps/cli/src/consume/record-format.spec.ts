import { humanLines, jsonLines, template, type FetchedRecordLike } from './record-format.js';

const records: FetchedRecordLike[] = [
  { partition: 1, offset: 7, timestamp: 1_767_225_600_000, key: 'k', value: { n: 1 }, headers: { a: 'x', b: null } },
  { partition: 1, offset: 8, timestamp: 1_767_225_600_001, key: null, value: 'héllo', headers: {} },
];

describe('consume record formats', () => {
  it('JSON lines: the record as fetched with the topic first, one per line', () => {
    expect(jsonLines('t')('t', records, 0, 2)).toBe(
      '{"topic":"t","partition":1,"offset":7,"timestamp":1767225600000,"key":"k","value":{"n":1},"headers":{"a":"x","b":null}}\n' +
        '{"topic":"t","partition":1,"offset":8,"timestamp":1767225600001,"key":null,"value":"héllo","headers":{}}\n',
    );
    expect(jsonLines('t')('t', records, 1, 1)).toBe('');
  });

  it('templates render kcat\'s tokens and escapes; lengths are UTF-8 bytes, -1 for null', () => {
    const f = template('%t|%p|%o|%T|%k|%s|%K|%S|%h|100%%\\n');
    expect(f('t', records, 0, 2)).toBe('t|1|7|1767225600000|k|{"n":1}|1|7|a=x,b=|100%\n' + 't|1|8|1767225600001||héllo|-1|6||100%\n');
  });

  it('an unknown token is a usage error naming it', () => {
    expect(() => template('%k %q')).toThrow('--format: unknown token %q at position 4');
    expect(() => template('50%')).toThrow('unknown token %');
  });

  it('-o table: partition/offset, ISO time, key (- for null), value', () => {
    expect(humanLines()('t', records, 0, 2)).toBe('1/7  2026-01-01T00:00:00.000Z  k  {"n":1}\n1/8  2026-01-01T00:00:00.001Z  -  héllo\n');
  });
});
