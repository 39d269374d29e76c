import { assertJsonDepth, jsonDepthOf } from './json-depth.js';

describe('JSON depth limit', () => {
  it('refuses one level past the limit, in a text just long enough to hold it, and passes the limit itself', () => {
    for (const max of [1, 5, 1000]) {
      const at = '['.repeat(max) + ']'.repeat(max);
      const past = '['.repeat(max + 1) + ']'.repeat(max + 1);
      expect(() => assertJsonDepth(at, max, 'body')).not.toThrow();
      expect(() => assertJsonDepth(Buffer.from(past), max, 'body')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', details: { reason: 'json-too-deep', limit: max } }));
      // Unclosed: the shortest text that crosses the limit is max + 1 bytes, past the length shortcut.
      expect(() => assertJsonDepth('['.repeat(max + 1), max, 'body')).toThrow(/nests JSON more than/);
      expect(() => assertJsonDepth('['.repeat(max), max, 'body')).not.toThrow();
    }
  });

  it('counts only brackets outside strings', () => {
    expect(jsonDepthOf('{"a":"[[[[\\\\"}', 10)).toBe(1);
    expect(jsonDepthOf(Buffer.from('[{"x":[1,{"y":"]]"}]}]'), 10)).toBe(4);
  });
});
