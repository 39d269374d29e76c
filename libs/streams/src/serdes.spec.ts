import { Serdes } from './serdes.js';
import { StreamsError } from './streams.error.js';

describe('Serdes', () => {
  it('round-trips strings, JSON and bytes; null is a tombstone on every serde', () => {
    expect(Serdes.string().deserialize(Serdes.string().serialize('héllo'))).toBe('héllo');
    expect(Serdes.json<{ a: number[] }>().deserialize(Serdes.json().serialize({ a: [1, 2] }))).toEqual({ a: [1, 2] });
    const bytes = Buffer.from([0, 255, 7]);
    expect(Serdes.bytes().deserialize(Serdes.bytes().serialize(bytes))).toEqual(bytes);
    for (const serde of [Serdes.string(), Serdes.json(), Serdes.bytes(), Serdes.auto()]) {
      expect(serde.serialize(null)).toBeNull();
      expect(serde.deserialize(null)).toBeNull();
    }
  });

  it('auto writes strings as text, Buffers as they are, everything else as JSON', () => {
    expect(Serdes.auto().serialize('x')).toEqual(Buffer.from('x'));
    expect(Serdes.auto().serialize(Buffer.from([1]))).toEqual(Buffer.from([1]));
    expect(Serdes.auto().serialize({ n: 1 })).toEqual(Buffer.from('{"n":1}'));
    expect(Serdes.auto().serialize(3)).toEqual(Buffer.from('3'));
  });

  it('says what was wrong with bytes that are not JSON and with values of the wrong type', () => {
    expect(() => Serdes.json().deserialize(Buffer.from('{oops'))).toThrow(StreamsError);
    expect(() => Serdes.json().deserialize(Buffer.from('{oops'))).toThrow(/not JSON .*\{oops/);
    expect(() => Serdes.string().serialize(42 as unknown as string)).toThrow(/given a number/);
    expect(() => Serdes.bytes().serialize('x' as unknown as Buffer)).toThrow(/not a Buffer/);
  });
});
