/**
 * The byte-level JSON scanner must agree with JSON.parse exactly: anything it accepts is spliced
 * into frames that clients JSON.parse, and anything it refuses is rendered as a string or base64.
 * Checked on generated JSON, on generated JSON with one byte changed, and on random bytes.
 */
import fc from 'fast-check';
import { copyJson, isJsonText, isWellFormedUtf8, writeJsonString } from './json-bytes.js';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON.parse's verdict on bytes: UTF-8 decoding must succeed (no replacement) and the text must parse. */
function parses(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = fatalUtf8.decode(bytes);
  } catch {
    return false;
  }
  // TextDecoder drops a leading BOM; JSON.parse refuses one.
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function verdict(bytes: Uint8Array): boolean {
  return isJsonText(bytes, 0, bytes.length);
}

/** copyJson's output for valid JSON text (its verdict must be isJsonText's). */
function copied(bytes: Uint8Array): string | null {
  const out = Buffer.alloc(bytes.length + 8);
  const end = copyJson(bytes, 0, bytes.length, out, 3);
  return end < 0 ? null : out.toString('utf8', 3, end);
}

const whitespace = fc.constantFrom(' ', '\t', '\n', '\r', '');
/** JSON texts with random whitespace between tokens (JSON.stringify's indentation variants). */
const jsonText = fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(undefined, 1, 2, '\t'), whitespace, whitespace).map(([v, indent, before, after]) => before + JSON.stringify(v, null, indent) + after);

describe('copyJson', () => {
  it('accepts every JSON text JSON.stringify writes and copies it without whitespace between tokens', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const out = copied(Buffer.from(text, 'utf8'));
        expect(out).not.toBeNull();
        expect(out).toBe(JSON.stringify(JSON.parse(text))); // the same tokens, no whitespace
        expect(JSON.parse(out!)).toEqual(JSON.parse(text));
        expect(out).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with JSON.parse on JSON texts with one byte replaced, inserted or removed', () => {
    const interesting = [0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x2d, 0x2e, 0x30, 0x31, 0x65, 0x45, 0x2b, 0x75, 0x20, 0x0a, 0x00, 0x1f, 0x7f, 0x80, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff, 0x74, 0x6e, 0x66];
    fc.assert(
      fc.property(jsonText, fc.nat(), fc.constantFrom('replace', 'insert', 'remove'), fc.oneof(fc.constantFrom(...interesting), fc.integer({ min: 0, max: 255 })), (text, at, how, byte) => {
        const bytes = [...Buffer.from(text, 'utf8')];
        const i = bytes.length === 0 ? 0 : at % bytes.length;
        if (how === 'replace' && bytes.length > 0) bytes[i] = byte;
        else if (how === 'insert') bytes.splice(i, 0, byte);
        else bytes.splice(i, 1);
        const mutated = Uint8Array.from(bytes);
        expect(verdict(mutated)).toBe(parses(mutated));
        expect(copied(mutated) !== null).toBe(parses(mutated));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with JSON.parse on random bytes and short token soups', () => {
    const token = fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', 'u', '0', '1', '-', '.', 'e', '+', 'true', 'false', 'null', 'nul', ' ', '\n', 'a', '\u00e9', '\ud83d\ude00', '\\u12', '\\u00e9', '\\x');
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.array(token, { maxLength: 12 }).map((t) => Buffer.from(t.join(''), 'utf8'))), (bytes) => {
        expect(verdict(bytes)).toBe(parses(bytes));
      }),
      { numRuns: 5000 },
    );
  });

  it('handles the edges JSON.parse draws: numbers, escapes, UTF-8 limits, nesting', () => {
    const cases: Array<[string | number[], boolean]> = [
      ['0', true], ['-0', true], ['01', false], ['1.', false], ['.5', false], ['1e', false], ['1e+5', true], ['-', false], ['1.5E-3', true],
      ['"\\u00e9"', true], ['"\\u00G9"', false], ['"\\/"', true], ['"\\a"', false], ['"\t"', false], ['"', false],
      ['{"a":1,}', false], ['[1,]', false], ['{"a" : [ ] }', true], ['{1:2}', false], ['[]', true], ['{}', true], ['', false], [' ', false],
      ['nul', false], ['true false', false], ['"\\ud800"', true],
      [[0x22, 0xed, 0xa0, 0x80, 0x22], false], // UTF-8-encoded surrogate
      [[0x22, 0xc0, 0xaf, 0x22], false], // overlong
      [[0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], false], // above U+10FFFF
      [[0x22, 0xf0, 0x9f, 0x98, 0x80, 0x22], true], // U+1F600
      [[0xef, 0xbb, 0xbf, 0x31], false], // BOM
      ['['.repeat(10_000) + ']'.repeat(10_000), true],
      ['['.repeat(10_000) + ']'.repeat(9_999), false],
    ];
    for (const [input, expected] of cases) {
      const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Uint8Array.from(input);
      expect([input, verdict(bytes)]).toEqual([input, expected]);
      expect([input, parses(bytes)]).toEqual([input, expected]);
    }
  });
});

it('copies numbers, escapes and non-ASCII as stored (1.0 stays 1.0)', () => {
  expect(copied(Buffer.from(' { "n" : 1.0 , "e" : 1E+2, "s" : "\\u00e9\\n\u00e9" , "a":[ ] }\n'))).toBe('{"n":1.0,"e":1E+2,"s":"\\u00e9\\n\u00e9","a":[]}');
});

describe('writeJsonString', () => {
  it('writes well-formed UTF-8 as a JSON string that parses back to the same text, and refuses the rest', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8'))), (bytes) => {
        const out = Buffer.alloc(2 + 6 * bytes.length);
        const end = writeJsonString(bytes, 0, bytes.length, out, 0);
        let text: string | null = null;
        try {
          text = fatalUtf8.decode(bytes);
        } catch {
          text = null;
        }
        if (text !== null && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) text = '\ufeff' + text;
        expect(end >= 0).toBe(text !== null);
        expect(isWellFormedUtf8(bytes, 0, bytes.length)).toBe(text !== null);
        if (text !== null) expect(JSON.parse(out.toString('utf8', 0, end))).toBe(text);
      }),
      { numRuns: 1500 },
    );
  });
});
