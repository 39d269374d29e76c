import { parseStartSpec } from '../consume/start-position.js';
import { resolveConnection } from '../connection/connection.js';
import { resetTarget } from './group.command.js';
import { parseDurationMs, parseInteger, parsePairs, parseTimestamp } from './options.js';

describe('CLI option parsing', () => {
  it('integers within bounds, with the option in the message', () => {
    expect(parseInteger('42', '--n')).toBe(42);
    expect(parseInteger('-3', '--shift-by')).toBe(-3);
    expect(() => parseInteger('4.2', '--n')).toThrow('--n must be an integer, not "4.2"');
    expect(() => parseInteger('0', '--partitions', 1)).toThrow('--partitions must be between 1 and');
    expect(() => parseInteger('9007199254740993', '--n')).toThrow('must be between');
  });

  it('key=value pairs: the value may hold "=", a key may not repeat', () => {
    expect([...parsePairs(['a=1', 'b=x=y', 'c='], '--config')]).toEqual([['a', '1'], ['b', 'x=y'], ['c', '']]);
    expect(() => parsePairs(['=1'], '--config')).toThrow('--config must be key=value');
    expect(() => parsePairs(['a=1', 'a=2'], '--config')).toThrow('--config "a" is given twice');
  });

  it('timestamps from ms or ISO 8601, durations short or ISO', () => {
    expect(parseTimestamp('1767225600000', '--t')).toBe(1_767_225_600_000);
    expect(parseTimestamp('2026-01-01T00:00:00Z', '--t')).toBe(1_767_225_600_000);
    expect(parseTimestamp('2026-01-01T01:00:00+01:00', '--t')).toBe(1_767_225_600_000);
    expect(() => parseTimestamp('yesterday', '--to-datetime')).toThrow('--to-datetime must be milliseconds since the epoch or an ISO 8601');
    expect(parseDurationMs('15m', '--d')).toBe(900_000);
    expect(parseDurationMs('P1DT2H', '--d')).toBe(93_600_000);
    expect(parseDurationMs('PT0.5S', '--d')).toBe(500);
    expect(() => parseDurationMs('P', '--d')).toThrow('must be a duration');
    expect(() => parseDurationMs('15x', '--d')).toThrow('must be a duration');
  });

  it('consume --offset specs', () => {
    expect(parseStartSpec('beginning')).toEqual({ kind: 'earliest' });
    expect(parseStartSpec('end')).toEqual({ kind: 'latest' });
    expect(parseStartSpec('12')).toEqual({ kind: 'offset', offset: 12 });
    expect(parseStartSpec('-5')).toEqual({ kind: 'tail', count: 5 });
    expect(parseStartSpec('@2026-01-01T00:00:00Z')).toEqual({ kind: 'timestamp', timestamp: 1_767_225_600_000 });
    expect(() => parseStartSpec('soon')).toThrow('--offset must be earliest, latest');
  });

  it('reset-offsets takes exactly one target; --by-duration is relative to now', () => {
    expect(resetTarget({ topic: [], toEarliest: true }, 0)).toBe('earliest');
    expect(resetTarget({ topic: [], shiftBy: -2 }, 0)).toEqual({ shiftBy: -2 });
    expect(resetTarget({ topic: [], byDuration: 1000 }, 5000)).toEqual({ timestamp: 4000 });
    expect(() => resetTarget({ topic: [] }, 0)).toThrow('say where to move the offsets');
    expect(() => resetTarget({ topic: [], toLatest: true, toOffset: 3 }, 0)).toThrow('give one target, not --to-latest and --to-offset');
  });
});

describe('connection resolution', () => {
  const none = (): void => undefined;
  const noFile = { profileFile: '/nonexistent/spool-test/config.json' };

  it('--url beats SPOOL_URL beats the default; a token travels as given', () => {
    expect(resolveConnection({ ...noFile }, {}, none).url).toBe('http://127.0.0.1:8080');
    expect(resolveConnection({ ...noFile }, { SPOOL_URL: 'http://spool.example.com:9000/' }, none).url).toBe('http://spool.example.com:9000');
    expect(resolveConnection({ ...noFile, url: 'https://a.example' }, { SPOOL_URL: 'http://b.example' }, none).url).toBe('https://a.example');
    expect(resolveConnection({ ...noFile, token: 't1' }, { SPOOL_TOKEN: 't2' }, none).token).toBe('t1');
    expect(resolveConnection({ ...noFile }, { SPOOL_TOKEN: 't2' }, none).token).toBe('t2');
  });

  it('warns when a token would go over plain http to another machine', () => {
    const warnings: string[] = [];
    resolveConnection({ ...noFile, url: 'http://spool.example.com:8080', token: 't' }, {}, (l) => warnings.push(l));
    resolveConnection({ ...noFile, url: 'http://localhost:8080', token: 't' }, {}, (l) => warnings.push(l));
    expect(warnings).toEqual(['warning: sending a token to spool.example.com over plain http: use https:// outside this machine']);
  });

  it('refuses a URL that is not http(s) and a token with a line break', () => {
    expect(() => resolveConnection({ ...noFile, url: 'localhost:8080' }, {}, none)).toThrow('must be an http:// or https:// URL');
    expect(() => resolveConnection({ ...noFile, token: 'a\nb' }, {}, none)).toThrow('the token is empty or holds a line break');
  });
});
