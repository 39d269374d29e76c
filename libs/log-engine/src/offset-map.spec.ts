import fc from 'fast-check';
import { OffsetMap } from './offset-map.js';

const key = (s: string): Buffer => Buffer.from(s);

describe('OffsetMap', () => {
  it('keeps the latest offset per key', () => {
    const map = new OffsetMap(24 * 100);
    expect(map.put(key('a'), 0)).toBe(true);
    expect(map.put(key('b'), 1)).toBe(true);
    expect(map.put(key('a'), 2)).toBe(true);
    expect(map.get(key('a'))).toBe(2);
    expect(map.get(key('b'))).toBe(1);
    expect(map.get(key('c'))).toBeUndefined();
    expect(map.get(new Uint8Array(0))).toBeUndefined();
    expect(map.size).toBe(2);
    expect(map.latestOffset).toBe(2);
  });

  it('refuses new keys once full but still updates known ones', () => {
    const map = new OffsetMap(24 * 10, 0.5);
    expect(map.capacity).toBe(5);
    for (let i = 0; i < 5; i++) expect(map.put(key(`k${i}`), i)).toBe(true);
    expect(map.full).toBe(true);
    expect(map.put(key('new'), 5)).toBe(false);
    expect(map.latestOffset).toBe(4);
    expect(map.put(key('k0'), 6)).toBe(true);
    expect(map.get(key('k0'))).toBe(6);
    expect(map.get(key('new'))).toBeUndefined();
  });

  it('clears', () => {
    const map = new OffsetMap(24 * 4);
    map.put(key('a'), 7);
    map.clear();
    expect(map.get(key('a'))).toBeUndefined();
    expect(map.size).toBe(0);
    expect(map.latestOffset).toBeUndefined();
  });

  it('rejects a budget too small for one key', () => {
    expect(() => new OffsetMap(24)).toThrow(/cannot hold one key/);
  });

  it('agrees with a Map model (seeded)', () => {
    const seed = 20240601;
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 4 }), { maxLength: 200 }), fc.integer({ min: 3, max: 300 }), (keys, slots) => {
        const map = new OffsetMap(slots * 24);
        const model = new Map<string, number>();
        keys.forEach((k, offset) => {
          const accepted = map.put(key(k), offset);
          const expected = model.has(k) || model.size < map.capacity;
          expect(accepted).toBe(expected);
          if (accepted) model.set(k, offset);
        });
        for (const k of new Set(keys)) expect(map.get(key(k))).toBe(model.get(k));
        expect(map.size).toBe(model.size);
      }),
      { seed, numRuns: 200 },
    );
  });
});
