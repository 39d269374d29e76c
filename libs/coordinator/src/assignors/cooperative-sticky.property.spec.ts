/**
 * Model-based property test of the cooperative protocol with the cooperative-sticky assignor:
 * members come and go; after each change the group rebalances until nobody revokes anything,
 * each member applying its assignment by revoking first and then taking the rest. Checked at
 * every step: no partition has two owners, ever (revoke before assign); at the end every
 * partition is owned and counts are balanced; and, with equal subscriptions, the number of
 * partitions taken away from surviving owners is exactly the minimum balance requires.
 * Seeded (fast-check prints the seed and path of any failure).
 */
import fc from 'fast-check';
import { topicPartitionKey, type TopicPartition } from '../topic-partition.js';
import { CooperativeStickyAssignor } from './cooperative-sticky.assignor.js';
import type { MemberSubscription } from './partition-assignor.js';

const SEED = 20_240_611;
const assignor = new CooperativeStickyAssignor();
const key = (tp: TopicPartition): string => topicPartitionKey(tp.topic, tp.partition);

interface Model {
  owned: Map<string, TopicPartition[]>;
  topics: Map<string, readonly string[]>;
  generation: number;
}

/** One rebalance: returns how many partitions members had to revoke. Asserts no double ownership. */
function rebalanceOnce(model: Model, partitionsPerTopic: Map<string, number>): number {
  const subs = new Map<string, MemberSubscription>();
  for (const [m, owned] of model.owned) subs.set(m, { topics: model.topics.get(m)!, ownedPartitions: owned, generationId: model.generation });
  const out = assignor.assign(partitionsPerTopic, subs);
  model.generation++;
  const assignedTo = new Map<string, string>();
  for (const [m, list] of out) {
    for (const tp of list) {
      expect(assignedTo.get(key(tp))).toBeUndefined();
      assignedTo.set(key(tp), m);
    }
  }
  // Revoke before assign: a partition newly given to m is owned by nobody else right now.
  for (const [m, list] of out) {
    const mine = new Set(model.owned.get(m)!.map(key));
    for (const tp of list) {
      if (mine.has(key(tp))) continue;
      for (const [other, owned] of model.owned) if (other !== m) expect(owned.map(key)).not.toContain(key(tp));
    }
  }
  let revoked = 0;
  for (const [m, list] of out) {
    const next = new Set(list.map(key));
    revoked += model.owned.get(m)!.filter((tp) => !next.has(key(tp))).length;
    model.owned.set(m, list);
  }
  return revoked;
}

function settle(model: Model, partitionsPerTopic: Map<string, number>): void {
  let rounds = 0;
  while (rebalanceOnce(model, partitionsPerTopic) > 0) {
    rounds++;
    expect(rounds).toBeLessThanOrEqual(3);
  }
}

/** The fewest partitions surviving owners must give up to reach a balanced assignment. */
function minimalMoves(counts: number[], partitions: number): number {
  const m = counts.length;
  const min = Math.floor(partitions / m);
  let extra = partitions % m;
  return [...counts]
    .sort((a, b) => b - a)
    .reduce((sum, c) => {
      const target = extra-- > 0 ? min + 1 : min;
      return sum + Math.max(0, c - target);
    }, 0);
}

const event = fc.oneof(fc.constant({ kind: 'join' as const }), fc.record({ kind: fc.constant('leave' as const), index: fc.nat() }));

describe('cooperative-sticky under membership changes (property)', () => {
  it('equal subscriptions: never two owners, full balanced cover, minimal movement', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(event, { minLength: 1, maxLength: 12 }), (partitions, events) => {
        const topics = new Map([['t', partitions]]);
        const model: Model = { owned: new Map(), topics: new Map(), generation: 0 };
        let next = 0;
        for (const e of events) {
          if (e.kind === 'join') {
            const id = `m${String(next++).padStart(2, '0')}`;
            model.owned.set(id, []);
            model.topics.set(id, ['t']);
          } else if (model.owned.size > 0) {
            const id = [...model.owned.keys()][e.index % model.owned.size];
            model.owned.delete(id);
            model.topics.delete(id);
          }
          if (model.owned.size === 0) continue;
          const before = new Map([...model.owned].map(([m, list]) => [m, new Set(list.map(key))]));
          const bound = minimalMoves([...before.values()].map((s) => s.size), partitions);
          settle(model, topics);
          let moved = 0;
          for (const [m, had] of before) {
            const now = new Set(model.owned.get(m)!.map(key));
            for (const k of had) if (!now.has(k)) moved++;
          }
          expect(moved).toBe(bound);
          const counts = [...model.owned.values()].map((l) => l.length);
          expect(counts.reduce((a, b) => a + b, 0)).toBe(partitions);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('mixed subscriptions over two topics: never two owners, every subscribed partition owned', () => {
    const topicSet = fc.constantFrom(['a'], ['b'], ['a', 'b']);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.oneof(fc.record({ kind: fc.constant('join' as const), topics: topicSet }), fc.record({ kind: fc.constant('leave' as const), index: fc.nat() })), {
          minLength: 1,
          maxLength: 10,
        }),
        (pa, pb, events) => {
          const topics = new Map([['a', pa], ['b', pb]]);
          const model: Model = { owned: new Map(), topics: new Map(), generation: 0 };
          let next = 0;
          for (const e of events) {
            if (e.kind === 'join') {
              const id = `m${String(next++).padStart(2, '0')}`;
              model.owned.set(id, []);
              model.topics.set(id, e.topics);
            } else if (model.owned.size > 0) {
              const id = [...model.owned.keys()][e.index % model.owned.size];
              model.owned.delete(id);
              model.topics.delete(id);
            }
            settle(model, topics);
            const subscribed = new Set([...model.topics.values()].flat());
            const expected = [...subscribed].reduce((n, t) => n + topics.get(t)!, 0);
            expect([...model.owned.values()].reduce((n, l) => n + l.length, 0)).toBe(expected);
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
