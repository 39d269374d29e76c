import { formatProfileSummary, summarizeProfile, type CpuProfile } from '../../bench/suite/cpu-profile.js';

const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber, columnNumber: 0 });

// root -> a -> b; a second node of `b` (another call path) -> must be added to the first.
const profile: CpuProfile = {
  startTime: 0,
  endTime: 10_000,
  nodes: [
    { id: 1, callFrame: frame('(root)', '', -1), children: [2, 5] },
    { id: 2, callFrame: frame('append', 'file:///repo/dist/libs/log-engine/src/log.js', 9), children: [3] },
    { id: 3, callFrame: frame('crc32c', 'file:///repo/node_modules/@node-rs/crc32/index.js', 0), children: [] },
    { id: 4, callFrame: frame('(idle)', '', -1), children: [] },
    { id: 5, callFrame: frame('', 'file:///repo/dist/x.js', 2), children: [6] },
    { id: 6, callFrame: frame('crc32c', 'file:///repo/node_modules/@node-rs/crc32/index.js', 0), children: [] },
  ],
  samples: [3, 3, 2, 4, 6, 5],
  timeDeltas: [1000, 2000, 500, 4000, 1500, 1000],
};

describe('summarizeProfile', () => {
  it('charges each sample its time delta and adds the nodes of one function together', () => {
    const { totalMs, functions } = summarizeProfile(profile);
    expect(totalMs).toBe(10);
    expect(functions.map((f) => [f.functionName, f.selfMs])).toEqual([
      ['crc32c', 4.5],
      ['(idle)', 4],
      ['(anonymous)', 1],
      ['append', 0.5],
    ]);
    expect(functions[0]!.percent).toBeCloseTo(45);
    expect(functions[0]!.location).toBe('node_modules/@node-rs/crc32/index.js:1');
    expect(functions[3]!.location).toBe('dist/libs/log-engine/src/log.js:10');
  });

  it('keeps only the top N and survives a profile without samples', () => {
    expect(summarizeProfile(profile, 2).functions).toHaveLength(2);
    expect(summarizeProfile({ ...profile, samples: [], timeDeltas: [] })).toEqual({ totalMs: 0, functions: [] });
  });

  it('formats one line per function', () => {
    const text = formatProfileSummary(summarizeProfile(profile, 1));
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('crc32c  (node_modules/@node-rs/crc32/index.js:1)');
  });
});
