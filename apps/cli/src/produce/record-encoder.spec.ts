import { InputLineError, RecordEncoder, unescapeDelimiter, type EncoderOptions } from './record-encoder.js';

const base: EncoderOptions = { valueFormat: 'json', keyFormat: 'string', delimiter: '\n', ndjson: false };

/** Encodes `input` fed in the given chunks; returns the NDJSON body lines (blank ones kept). */
function encodeChunks(options: EncoderOptions, chunks: readonly Uint8Array[]): string[] {
  const e = new RecordEncoder(options);
  let out = '';
  for (const c of chunks) out += e.encode(c, false);
  out += e.encode(new Uint8Array(0), true);
  return out.split('\n').slice(0, -1);
}

function splitEverywhere(bytes: Uint8Array): Array<Uint8Array[]> {
  const out: Array<Uint8Array[]> = [[bytes]];
  for (let at = 0; at <= bytes.length; at++) out.push([bytes.subarray(0, at), bytes.subarray(at)]);
  return out;
}

describe('RecordEncoder', () => {
  it('turns kcat -P lines into NDJSON records, whatever the chunk boundaries (multi-byte UTF-8 included)', () => {
    const options: EncoderOptions = { ...base, valueFormat: 'string', keyDelimiter: ':', headers: new Map([['src', 'cli']]) };
    const input = Buffer.from('k1:héllo wörld\r\n\nk€:a:b\nk3:\n');
    const expected = [
      '{"headers":{"src":"cli"},"key":"k1","value":"héllo wörld"}',
      '',
      '{"headers":{"src":"cli"},"key":"k€","value":"a:b"}',
      '{"headers":{"src":"cli"},"key":"k3","value":""}',
    ];
    for (const chunks of splitEverywhere(input)) expect(encodeChunks(options, chunks)).toEqual(expected);
  });

  it('checks that a json value is exactly one JSON value (a line cannot smuggle fields into the record)', () => {
    expect(encodeChunks(base, [Buffer.from(' {"a":1} \n2\n"s"\nnull\n')])).toEqual(['{"value":{"a":1}}', '{"value":2}', '{"value":"s"}', '{"value":null}']);
    const e = new RecordEncoder(base);
    expect(() => e.encode(Buffer.from('{"a":1}\n1,"partition":3\n'), false)).toThrow(InputLineError);
    expect(e.encodedBefore).toBe('{"value":{"a":1}}\n');
    try {
      new RecordEncoder(base).encode(Buffer.from('\n\nnope\n'), true);
    } catch (err) {
      expect(err).toBeInstanceOf(InputLineError);
      expect((err as InputLineError).line).toBe(3);
      expect((err as Error).message).toContain('the value on line 3 is not JSON');
    }
    expect.assertions(6);
  });

  it('binary values are the line\'s bytes in base64, any byte sequence, split at any boundary', () => {
    const options: EncoderOptions = { ...base, valueFormat: 'binary', keyDelimiter: '|' };
    const input = Buffer.from([0x6b, 0x7c, 0x00, 0xff, 0xfe, 0x0a, 0x6b, 0x32, 0x7c, 0xc3, 0x0a]);
    const expected = [`{"key":"k","value":"${Buffer.from([0x00, 0xff, 0xfe]).toString('base64')}"}`, `{"key":"k2","value":"${Buffer.from([0xc3]).toString('base64')}"}`];
    for (const chunks of splitEverywhere(input)) expect(encodeChunks(options, chunks)).toEqual(expected);
  });

  it('text that is not UTF-8 is refused with the line and the option to use', () => {
    const e = new RecordEncoder({ ...base, valueFormat: 'string' });
    expect(() => e.encode(Buffer.from([0x61, 0x0a, 0xff, 0x0a]), true)).toThrow(/not valid UTF-8: use --value-format binary/);
  });

  it('a missing key delimiter, a custom record delimiter and a fixed partition', () => {
    expect(() => encodeChunks({ ...base, keyDelimiter: '=' }, [Buffer.from('{"a":1}\n')])).toThrow('line 1 has no key delimiter "="');
    expect(encodeChunks({ ...base, delimiter: '\0', partition: 2 }, [Buffer.from('1\x002\x00')])).toEqual(['{"partition":2,"value":1}', '{"partition":2,"value":2}']);
  });

  it('--ndjson lines pass through; combining them with per-line options is a usage error', () => {
    expect(encodeChunks({ ...base, ndjson: true }, [Buffer.from('{"key":"k","value":1}\n  \n')])).toEqual(['{"key":"k","value":1}', '']);
    expect(() => new RecordEncoder({ ...base, ndjson: true, keyDelimiter: ':' })).toThrow('--ndjson lines are whole record objects');
  });

  it('unescapes kcat delimiter escapes', () => {
    expect(unescapeDelimiter('\\n')).toBe('\n');
    expect(unescapeDelimiter('\\t|\\0\\\\')).toBe('\t|\0\\');
  });
});
