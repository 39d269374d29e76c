/**
 * The KIP-848 server-side assignors: `range` co-partitions, `uniform` balances and is sticky.
 * The property test (fast-check, seeded) checks uniform's contract on random groups: every
 * partition of a subscribed topic to exactly one subscriber, balance within one partition for
 * equal subscriptions, and, from a balanced previous target, moving no more partitions than
 * balance requires.
 */
import fc from 'fast-check';
import { partitionCount, type Assignment } from '../consumer/assignment.js';
import type { AssignmentMemberSpec, ConsumerGroupAssignmentSpec } from './consumer-group-assignor.js';
import { ConsumerRangeAssignor } from './consumer-range.assignor.js';
import { UniformAssignor } from './uniform.assignor.js';

const SEED = 848_2024;

function spec(members: Record<string, Partial<AssignmentMemberSpec> & { topics: string[] }>, partitions: Record<string, number>): ConsumerGroupAssignmentSpec {
  return {
    partitionsPerTopicId: new Map(Object.entries(partitions)),
    members: new Map(
      Object.entries(members).map(([id, m]) => [id, { instanceId: m.instanceId ?? null, rackId: null, subscribedTopicIds: new Set(m.topics), currentAssignment: m.currentAssignment ?? new Map() }]),
    ),
  };
}

function flat(a: Assignment | undefined): string[] {
  return [...(a ?? new Map())].flatMap(([t, ps]) => [...ps].sort((x, y) => x - y).map((p) => `${t}-${p}`)).sort();
}

describe('range (server-side)', () => {
  it('gives each subscriber a contiguous range per topic; the first n % m get one more; static members first', () => {
    const out = new ConsumerRangeAssignor().assign(spec({ b: { topics: ['t'] }, a: { topics: ['t'] }, z: { topics: ['t'], instanceId: 'i-1' } }, { t: 7 }));
    expect(flat(out.get('z'))).toEqual(['t-0', 't-1', 't-2']);
    expect(flat(out.get('a'))).toEqual(['t-3', 't-4']);
    expect(flat(out.get('b'))).toEqual(['t-5', 't-6']);
  });

  it('co-partitions topics of equal size and gives members of other topics nothing of them', () => {
    const out = new ConsumerRangeAssignor().assign(spec({ a: { topics: ['l', 'r'] }, b: { topics: ['l', 'r'] }, c: { topics: ['x'] } }, { l: 4, r: 4, x: 1 }));
    expect(flat(out.get('a'))).toEqual(['l-0', 'l-1', 'r-0', 'r-1']);
    expect(flat(out.get('b'))).toEqual(['l-2', 'l-3', 'r-2', 'r-3']);
    expect(flat(out.get('c'))).toEqual(['x-0']);
  });
});

describe('uniform', () => {
  const uniform = new UniformAssignor();

  it('balances a homogeneous group and keeps previous partitions where it can', () => {
    const first = uniform.assign(spec({ a: { topics: ['t'] }, b: { topics: ['t'] } }, { t: 6 }));
    expect(first.get('a')!.get('t')!.size + first.get('b')!.get('t')!.size).toBe(6);
    const second = uniform.assign(spec({ a: { topics: ['t'], currentAssignment: first.get('a') }, b: { topics: ['t'], currentAssignment: first.get('b') }, c: { topics: ['t'] } }, { t: 6 }));
    expect([...second.values()].map(partitionCount)).toEqual([2, 2, 2]);
    expect(flat(second.get('a')).every((p) => flat(first.get('a')).includes(p))).toBe(true);
    expect(flat(second.get('b')).every((p) => flat(first.get('b')).includes(p))).toBe(true);
  });

  it('gives a topic only to its subscribers and balances what each can take (heterogeneous)', () => {
    const out = uniform.assign(spec({ a: { topics: ['t', 'u'] }, b: { topics: ['t'] }, c: { topics: ['u'] } }, { t: 4, u: 2 }));
    expect(flat(out.get('b')).every((p) => p.startsWith('t-'))).toBe(true);
    expect(flat(out.get('c')).every((p) => p.startsWith('u-'))).toBe(true);
    expect([...out.values()].map(partitionCount)).toEqual([2, 2, 2]);
  });

  it('drops partitions of topics a member no longer subscribes to, and of topics that are gone', () => {
    const prev = new Map([['t', new Set([0, 1])], ['gone', new Set([0])]]);
    const out = uniform.assign(spec({ a: { topics: ['u'], currentAssignment: prev } }, { t: 2, u: 1 }));
    expect(flat(out.get('a'))).toEqual(['u-0']);
  });

  it('property: complete, exclusive, balanced (homogeneous), and minimal movement from a balanced start', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        (memberCount, sizes, joiners, heterogeneous) => {
          const topics = Object.fromEntries(sizes.map((n, i) => [`t${i}`, n]));
          const names = Object.keys(topics);
          const subsOf = (i: number): string[] => (heterogeneous ? names.filter((_, j) => (i + j) % 2 === 0 || names.length === 1) : names);
          const members: Record<string, { topics: string[] }> = {};
          for (let i = 0; i < memberCount; i++) members[`m${i}`] = { topics: subsOf(i) };
          const first = uniform.assign(spec(members, topics));
          check(first, members, topics, heterogeneous);
          // Joiners arrive with the previous target as each member's current assignment.
          const next: Record<string, { topics: string[]; currentAssignment?: Assignment }> = {};
          for (const [id, m] of Object.entries(members)) next[id] = { ...m, currentAssignment: first.get(id) };
          for (let i = 0; i < joiners; i++) next[`j${i}`] = { topics: subsOf(memberCount + i) };
          const second = uniform.assign(spec(next, topics));
          check(second, next, topics, heterogeneous);
          if (!heterogeneous) {
            const total = sizes.reduce((a, b) => a + b, 0);
            const quotaMax = Math.ceil(total / Object.keys(next).length);
            // A survivor loses only what it holds above the new maximum quota.
            for (const id of Object.keys(members)) {
              const kept = flat(second.get(id)).filter((p) => flat(first.get(id)).includes(p)).length;
              expect(kept).toBeGreaterThanOrEqual(Math.min(partitionCount(first.get(id)!), quotaMax - 1));
            }
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

function check(out: Map<string, Assignment>, members: Record<string, { topics: string[] }>, topics: Record<string, number>, heterogeneous: boolean): void {
  const owners = new Map<string, string>();
  for (const [id, a] of out) {
    for (const p of flat(a)) {
      expect(owners.get(p)).toBeUndefined();
      owners.set(p, id);
      expect(members[id].topics).toContain(p.slice(0, p.lastIndexOf('-')));
    }
  }
  for (const [t, n] of Object.entries(topics)) {
    const subscribed = Object.values(members).some((m) => m.topics.includes(t));
    for (let p = 0; p < n; p++) expect(owners.has(`${t}-${p}`)).toBe(subscribed);
  }
  if (!heterogeneous) {
    const counts = Object.keys(members).map((id) => partitionCount(out.get(id)!));
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  }
}
