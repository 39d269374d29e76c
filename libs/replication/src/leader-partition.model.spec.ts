/**
 * Model test of the leader's high watermark and ISR rules (fast-check): a leader on a real log,
 * two followers played by the test (each holds a prefix of the leader's log and fetches at its
 * end, or falls silent), a clock, the ISR shrink check, AlterPartition writes that land at once
 * or are held in flight, acks=all and acks=1 produces under min.insync.replicas 1 or 2. After
 * every step the invariants Kafka's rules exist for must hold:
 *
 * - the high watermark never goes down;
 * - every replica in the ISR (as written in the store, and as the leader counts it) holds every
 *   offset below the high watermark, so no leader the controller could elect lacks a committed
 *   record;
 * - while the ISR is below min.insync.replicas the high watermark does not move;
 * - an acks=all produce succeeds only when every ISR member holds its records; one refused with
 *   NOT_ENOUGH_REPLICAS appended nothing;
 * - the ISR always holds the leader and only replicas.
 *
 * The seed is printed by fast-check on failure; rerun with it to reproduce.
 */
import fs from 'node:fs/promises';
import fc from 'fast-check';
import { ManualClock, silentLogger } from '@spool/common';
import { LeaderPartition } from './leader-partition.js';
import { IsrStore, batchOf, openLog, partitionState, registration, settle, tempDir } from './replication.test-util.js';

const LAG_MS = 10_000;
const FOLLOWERS = [2, 3] as const;

type Op =
  | { kind: 'append'; count: number; acksAll: boolean }
  | { kind: 'replicate'; follower: 0 | 1; upTo: number }
  | { kind: 'fetch'; follower: 0 | 1 }
  | { kind: 'tick'; ms: number }
  | { kind: 'shrink' }
  | { kind: 'hold' }
  | { kind: 'release' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 4 }), acksAll: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replicate' as const), follower: fc.constantFrom(0 as const, 1 as const), upTo: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fetch' as const), follower: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: LAG_MS }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'shrink' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hold' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'release' as const }) },
);

describe('LeaderPartition model', () => {
  it('keeps the high watermark and ISR invariants under random fetches, appends, lag and ISR writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 60 }), fc.constantFrom(1, 2), async (ops, minIsr) => {
        const dir = await tempDir('leader-model');
        const clock = new ManualClock();
        const log = await openLog(dir, { clock });
        const store = new IsrStore(partitionState({ leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3], leaderEpoch: 1 }), 1);
        for (const b of [1, 2, 3]) store.brokers.set(b, registration(b));
        const leader = new LeaderPartition('t', 0, { brokerId: 1, log, cluster: store, replicaLagTimeMaxMs: LAG_MS, minInsyncReplicas: () => minIsr, clock, logger: silentLogger });
        /** What each follower actually holds: a prefix of the leader's log, by its end offset. */
        const held = new Map<number, number>([[1, 0], [2, 0], [3, 0]]);
        const failures: string[] = [];
        const isrHolds = (offset: number): boolean => [...new Set([...store.state.isr, ...leader.maximalIsr])].every((b) => (b === 1 ? log.logEndOffset : held.get(b)!) >= offset);
        try {
          await leader.becomeLeader(store.state);
          for (const op of ops) {
            const hwBefore = log.highWatermark;
            const underMinBefore = leader.isUnderMinIsr;
            switch (op.kind) {
              case 'append': {
                const endBefore = log.logEndOffset;
                try {
                  const result = await leader.appendAsLeader(op.acksAll ? -1 : 1, (leaderEpoch) => log.append(batchOf('m', op.count), { leaderEpoch }));
                  if (op.acksAll) {
                    const required = result.lastOffset + 1;
                    leader.waitForCommit(required, 3_600_000).then(
                      () => {
                        if (!isrHolds(required)) failures.push(`acks=all for ${required} succeeded while an ISR member lacks it`);
                      },
                      () => undefined,
                    );
                  }
                } catch (err) {
                  if ((err as { code?: string }).code !== 'NOT_ENOUGH_REPLICAS') throw err;
                  if (log.logEndOffset !== endBefore) failures.push('NOT_ENOUGH_REPLICAS but records were appended');
                  if (store.state.isr.length >= minIsr && leader.isr.length >= minIsr) failures.push('NOT_ENOUGH_REPLICAS with a large enough ISR');
                }
                break;
              }
              case 'replicate': {
                const id = FOLLOWERS[op.follower];
                held.set(id, Math.min(log.logEndOffset, held.get(id)! + op.upTo));
                await leader.fetchForFollower({ replicaId: id, replicaEpoch: 100 + id, fetchOffset: held.get(id)!, logStartOffset: 0, currentLeaderEpoch: 1, lastFetchedEpoch: null, maxBytes: 1 << 16 });
                break;
              }
              case 'fetch': {
                const id = FOLLOWERS[op.follower];
                await leader.fetchForFollower({ replicaId: id, replicaEpoch: 100 + id, fetchOffset: held.get(id)!, logStartOffset: 0, currentLeaderEpoch: 1, lastFetchedEpoch: null, maxBytes: 1 << 16 });
                break;
              }
              case 'tick':
                clock.advance(op.ms);
                break;
              case 'shrink':
                leader.maybeShrinkIsr();
                break;
              case 'hold':
                store.mode = { kind: 'hold' };
                break;
              case 'release':
                store.mode = { kind: 'apply' };
                store.release();
                break;
            }
            await settle();
            const hw = log.highWatermark;
            if (hw < hwBefore) failures.push(`high watermark went down from ${hwBefore} to ${hw}`);
            if (!isrHolds(hw)) failures.push(`high watermark ${hw} above what an ISR member holds (isr ${JSON.stringify(store.state.isr)}, held ${JSON.stringify([...held])})`);
            if (underMinBefore && leader.isUnderMinIsr && hw !== hwBefore) failures.push(`high watermark moved from ${hwBefore} to ${hw} under min ISR`);
            if (!store.state.isr.includes(1) || store.state.isr.some((b) => ![1, 2, 3].includes(b))) failures.push(`bad ISR ${JSON.stringify(store.state.isr)}`);
            if (failures.length > 0) break;
          }
        } finally {
          leader.resign();
          await log.close();
          await fs.rm(dir, { recursive: true, force: true });
        }
        expect(failures).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
