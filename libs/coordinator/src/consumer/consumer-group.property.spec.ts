/**
 * Model-based property test of KIP-848 reconciliation (fast-check, seeded): members join, leave,
 * heartbeat in random order (each one a well-behaved client that gives up revoked partitions at
 * once), topics grow. Checked after every step, from the clients' side: no partition is owned by
 * two members at any moment (revoke before assign). Checked at the end, after a few rounds of
 * heartbeats: the group is Stable, every partition is owned, and counts differ by at most one.
 */
import fc from 'fast-check';
import { startTestCoordinator, StaticTopics } from '../coordinator.test-util.js';
import { ConsumerGroupState } from './consumer-group.js';
import { TestMember } from './consumer-group.test-util.js';

const SEED = 20_250_848;

type Op = { kind: 'join' } | { kind: 'leave'; who: number } | { kind: 'heartbeat'; who: number } | { kind: 'grow' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Op>({ kind: 'join' }) },
  { weight: 1, arbitrary: fc.nat(20).map((who): Op => ({ kind: 'leave', who })) },
  { weight: 8, arbitrary: fc.nat(20).map((who): Op => ({ kind: 'heartbeat', who })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'grow' }) },
);

describe('KIP-848 reconciliation (property)', () => {
  it('never gives a partition to two members, and converges to a complete, balanced assignment', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        const topics = new StaticTopics({ orders: 5 });
        const t = await startTestCoordinator({ topics });
        let partitions = 5;
        let next = 0;
        const members: TestMember[] = [];
        const noOverlap = (): void => {
          const seen = new Map<string, string>();
          for (const m of members) {
            for (const p of m.ownedNames()) {
              if (seen.has(p)) throw new Error(`${p} owned by ${seen.get(p)} and ${m.memberId}`);
              seen.set(p, m.memberId);
            }
          }
        };
        for (const o of ops) {
          if (o.kind === 'join' && members.length < 6) {
            const m = new TestMember(t.coordinator, topics, `m${next++}`);
            members.push(m);
            await m.heartbeat();
          } else if (o.kind === 'leave' && members.length > 0) {
            const [m] = members.splice(o.who % members.length, 1);
            await m.leave();
          } else if (o.kind === 'heartbeat' && members.length > 0) {
            await members[o.who % members.length].heartbeat();
          } else if (o.kind === 'grow' && partitions < 12) {
            partitions++;
            topics.set('orders', partitions);
            t.coordinator.onPartitionsChanged('orders');
          }
          noOverlap();
        }
        if (members.length === 0) return;
        for (let round = 0; round < 5 && t.coordinator.consumerGroups.describeGroup('g')!.groupState !== ConsumerGroupState.Stable; round++) {
          for (const m of members) {
            await m.heartbeat();
            noOverlap();
          }
        }
        expect(t.coordinator.consumerGroups.describeGroup('g')!.groupState).toBe(ConsumerGroupState.Stable);
        const counts = members.map((m) => m.ownedNames().length);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(partitions);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
