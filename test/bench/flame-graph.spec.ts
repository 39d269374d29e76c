import { callTree, renderFlameGraph } from '../../bench/lib/flame-graph.js';
import type { CpuProfile } from '../../bench/suite/cpu-profile.js';

const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber, columnNumber: 0 });

// root -> append -> crc32c (twice, under two nodes of `append`: merged), root -> (idle), root -> post (node:inspector, dropped).
const profile: CpuProfile = {
  startTime: 0,
  endTime: 10_000,
  nodes: [
    { id: 1, callFrame: frame('(root)', '', -1), children: [2, 4, 5, 6] },
    { id: 2, callFrame: frame('append', 'file:///repo/dist/libs/log-engine/src/log.js', 9), children: [3] },
    { id: 3, callFrame: frame('crc32c', '', -1), children: [] },
    { id: 4, callFrame: frame('append', 'file:///repo/dist/libs/log-engine/src/log.js', 9), children: [7] },
    { id: 5, callFrame: frame('(idle)', '', -1), children: [] },
    { id: 6, callFrame: frame('post', 'node:inspector', 111), children: [8] },
    { id: 7, callFrame: frame('crc32c', '', -1), children: [] },
    { id: 8, callFrame: frame('dispatch', '', -1), children: [] },
  ],
  samples: [3, 7, 2, 5, 8],
  timeDeltas: [1000, 2000, 500, 4000, 9000],
};

describe('flame graph', () => {
  it('merges frames of one call path and charges each its samples and its callees', () => {
    const root = callTree(profile);
    expect(root.totalUs).toBe(7500); // the inspector's own 9 ms are left out
    const append = [...root.children.values()].find((f) => f.name === 'append')!;
    expect(append.location).toBe('dist/libs/log-engine/src/log.js:10');
    expect(append.totalUs).toBe(3500);
    expect([...append.children.values()].map((f) => [f.name, f.totalUs])).toEqual([['crc32c', 3000]]);
    expect([...root.children.values()].map((f) => f.name).sort()).toEqual(['(idle)', 'append']);
  });

  it('draws one box per frame, as wide as its share, with its time in the tooltip', () => {
    const svg = renderFlameGraph(profile, { title: 'T <&>', width: 1020 });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('T &lt;&amp;&gt;');
    expect(svg).toContain('<title>crc32c: 3.0 ms, 40.0%</title>');
    // 1000 px of width for 7.5 ms: crc32c's 3 ms are 400 px.
    expect(svg).toMatch(/<title>crc32c[^<]*<\/title><rect x="[\d.]+" y="\d+" width="399.50"/);
    expect(svg).not.toContain('dispatch');
  });
});
