import type { TopicPartition } from '../topic-partition.js';
import { defaultAssignors } from './assignors.js';
import type { MemberSubscription } from './partition-assignor.js';

const sub = (topics: string[], owned: TopicPartition[] = [], generationId: number | null = null): MemberSubscription => ({
  topics,
  ownedPartitions: owned,
  generationId,
});

function expectDisjointCover(assignment: Map<string, TopicPartition[]>, expected: TopicPartition[]): void {
  const seen = new Set<string>();
  for (const list of assignment.values()) {
    for (const tp of list) {
      const key = `${tp.topic}/${tp.partition}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
  }
  expect([...seen].sort()).toEqual(expected.map((tp) => `${tp.topic}/${tp.partition}`).sort());
}

const sixPartitions = Array.from({ length: 6 }, (_, p) => ({ topic: 'orders', partition: p }));

describe.each(['range', 'roundrobin', 'cooperative-sticky'])('%s assignor', (name) => {
  const assignor = defaultAssignors().get(name)!;

  it('gives 3 members of a 6-partition topic 2 disjoint partitions each, covering all', () => {
    const subs = new Map([['a', sub(['orders'])], ['b', sub(['orders'])], ['c', sub(['orders'])]]);
    const out = assignor.assign(new Map([['orders', 6]]), subs);
    expectDisjointCover(out, sixPartitions);
    for (const m of ['a', 'b', 'c']) expect(out.get(m)).toHaveLength(2);
  });

  it('does not depend on map insertion order', () => {
    const topics = new Map([['orders', 6], ['audit', 3]]);
    const one = assignor.assign(topics, new Map([['a', sub(['orders', 'audit'])], ['b', sub(['orders'])]]));
    const two = assignor.assign(topics, new Map([['b', sub(['orders'])], ['a', sub(['orders', 'audit'])]]));
    expect(Object.fromEntries(two)).toEqual(Object.fromEntries(one));
  });

  it('gives partitions only of subscribed topics, and skips unknown topics', () => {
    const out = assignor.assign(new Map([['orders', 6], ['audit', 3]]), new Map([['a', sub(['orders'])], ['b', sub(['audit', 'ghost'])]]));
    expect(out.get('a')!.every((tp) => tp.topic === 'orders')).toBe(true);
    expect(out.get('b')!.every((tp) => tp.topic === 'audit')).toBe(true);
    expectDisjointCover(out, [...sixPartitions, ...[0, 1, 2].map((p) => ({ topic: 'audit', partition: p }))]);
  });

  it('gives every member an entry, even with nothing to assign', () => {
    const out = assignor.assign(new Map([['orders', 1]]), new Map([['a', sub(['orders'])], ['b', sub(['orders'])]]));
    expect([...out.keys()].sort()).toEqual(['a', 'b']);
    expectDisjointCover(out, [{ topic: 'orders', partition: 0 }]);
  });
});

describe('range assignor', () => {
  it('hands contiguous ranges in member-id order, the extra partitions to the first members', () => {
    const out = defaultAssignors().get('range')!.assign(new Map([['t', 7]]), new Map([['b', sub(['t'])], ['a', sub(['t'])], ['c', sub(['t'])]]));
    expect(out.get('a')!.map((tp) => tp.partition)).toEqual([0, 1, 2]);
    expect(out.get('b')!.map((tp) => tp.partition)).toEqual([3, 4]);
    expect(out.get('c')!.map((tp) => tp.partition)).toEqual([5, 6]);
  });
});

describe('roundrobin assignor', () => {
  it('deals partitions one at a time across members', () => {
    const out = defaultAssignors().get('roundrobin')!.assign(new Map([['t', 5]]), new Map([['a', sub(['t'])], ['b', sub(['t'])]]));
    expect(out.get('a')!.map((tp) => tp.partition)).toEqual([0, 2, 4]);
    expect(out.get('b')!.map((tp) => tp.partition)).toEqual([1, 3]);
  });
});

describe('cooperative-sticky assignor', () => {
  const assignor = defaultAssignors().get('cooperative-sticky')!;
  const p = (n: number): TopicPartition => ({ topic: 'orders', partition: n });

  it('keeps a balanced assignment as it is', () => {
    const subs = new Map([
      ['a', sub(['orders'], [p(0), p(3)], 1)],
      ['b', sub(['orders'], [p(1), p(4)], 1)],
      ['c', sub(['orders'], [p(2), p(5)], 1)],
    ]);
    const out = assignor.assign(new Map([['orders', 6]]), subs);
    expect(out.get('a')).toEqual([p(0), p(3)]);
    expect(out.get('b')).toEqual([p(1), p(4)]);
    expect(out.get('c')).toEqual([p(2), p(5)]);
  });

  it('a new member: the owners keep what does not move, the moving partitions are withheld one generation', () => {
    const subs = new Map([
      ['a', sub(['orders'], [p(0), p(1), p(2)], 1)],
      ['b', sub(['orders'], [p(3), p(4), p(5)], 1)],
      ['c', sub(['orders'])],
    ]);
    const first = assignor.assign(new Map([['orders', 6]]), subs);
    expect(first.get('a')).toHaveLength(2);
    expect(first.get('b')).toHaveLength(2);
    expect(first.get('c')).toEqual([]);
    // a and b revoke what they lost and rejoin; now nobody claims the two freed partitions.
    const second = assignor.assign(
      new Map([['orders', 6]]),
      new Map([['a', sub(['orders'], first.get('a')!, 2)], ['b', sub(['orders'], first.get('b')!, 2)], ['c', sub(['orders'], [], 2)]]),
    );
    expect(second.get('a')).toEqual(first.get('a'));
    expect(second.get('b')).toEqual(first.get('b'));
    expect(second.get('c')).toHaveLength(2);
    expectDisjointCover(second, sixPartitions);
  });

  it('a partition claimed by two members is withheld from both until the stale claim is revoked', () => {
    const subs = new Map([['a', sub(['orders'], [p(0)], 5)], ['zombie', sub(['orders'], [p(0)], 3)]]);
    const out = assignor.assign(new Map([['orders', 1]]), subs);
    // Both claim p0, so nobody gets it until the zombie revokes it.
    expect(out.get('a')).toEqual([]);
    expect(out.get('zombie')).toEqual([]);
  });
});
