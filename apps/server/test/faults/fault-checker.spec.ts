/**
 * The fault test's checker on hand-made histories: a clean one passes, and each kind of failure
 * the fault test exists to catch (a lost acknowledged record, two replicas disagreeing at an
 * offset, a consumed record taken back, a record nobody wrote, a second copy of an idempotent
 * producer's record) makes it fail; other duplicates and reorders are counted the way their
 * definitions say.
 */
import { checkFaultHistory, formatFaultReport, type FaultHistory, type ReplicaLog, type StoredRecord, type WriteOp } from './fault-checker.test-util.js';

const ok = (producer: string, seq: number, partition: number, offset: number, extra: Partial<WriteOp> = {}): WriteOp => ({
  producer,
  idempotent: producer.startsWith('kafkajs'),
  value: `${producer}-${seq}`,
  seq,
  partition,
  attempts: 1,
  outcome: 'ok',
  offset,
  ...extra,
});

const records = (...values: string[]): StoredRecord[] => values.map((value, offset) => ({ offset, value }));

const replicas = (partition: number, log: StoredRecord[], brokers = [1, 2, 3]): ReplicaLog[] => brokers.map((brokerId) => ({ partition, brokerId, records: log }));

/** Two producers on partition 0, every write acknowledged and on every replica; the consumer saw all. */
function cleanHistory(): FaultHistory {
  const writes = [ok('http-1', 0, 0, 0), ok('kafkajs-1', 0, 0, 1), ok('http-1', 1, 0, 2), ok('kafkajs-1', 1, 0, 3)];
  const log = records('http-1-0', 'kafkajs-1-0', 'http-1-1', 'kafkajs-1-1');
  return { writes, replicas: replicas(0, log), consumed: log.map((r) => ({ partition: 0, ...r })) };
}

describe('the fault test checker', () => {
  it('passes a clean history and counts it', () => {
    const report = checkFaultHistory(cleanHistory());
    expect(report).toMatchObject({ writes: 4, acknowledged: 4, lost: 0, duplicated: 0, unexplainedDuplicates: 0, idempotentDuplicates: 0, reordered: 0, divergent: 0, consumed: 4, takenBack: 0, phantom: 0, stored: 4, valid: true });
    expect(formatFaultReport(report)).toBe(
      'acknowledged=4/4 lost=0 duplicated=0 unexplainedDuplicates=0 idempotentDuplicates=0 reordered=0 divergent=0 consumed=4 takenBack=0 phantom=0 indeterminateApplied=0 stored=4',
    );
  });

  it('fails on an acknowledged record missing from the final log', () => {
    const history = cleanHistory();
    const log = records('http-1-0', 'kafkajs-1-0', 'http-1-1'); // kafkajs-1-1, acknowledged at 3, is gone
    const report = checkFaultHistory({ ...history, replicas: replicas(0, log), consumed: [] });
    expect(report).toMatchObject({ lost: 1, valid: false });
    expect(report.examples[0]).toContain('lost: kafkajs-1-1 (kafkajs-1) acknowledged at partition 0 offset 3; the final log has nothing there');
  });

  it('fails on an acknowledged record that sits at another offset than acknowledged (its offset was reused)', () => {
    const history = cleanHistory();
    const log = records('http-1-0', 'kafkajs-1-0', 'kafkajs-1-1', 'http-1-1');
    const report = checkFaultHistory({ ...history, replicas: replicas(0, log), consumed: [] });
    expect(report.lost).toBe(2);
    expect(report.valid).toBe(false);
    expect(report.examples.join('\n')).toContain('(http-1-1 is elsewhere)');
  });

  it('fails on two replicas holding different records at one offset, even when the leader has every ack', () => {
    const history = cleanHistory();
    const leaderLog = records('http-1-0', 'kafkajs-1-0', 'http-1-1', 'kafkajs-1-1');
    const stale = records('http-1-0', 'kafkajs-1-0', 'http-1-1', 'http-1-1');
    const report = checkFaultHistory({
      ...history,
      replicas: [...replicas(0, leaderLog, [1, 2]), { partition: 0, brokerId: 3, records: stale }],
      leaders: new Map([[0, 1]]),
    });
    expect(report).toMatchObject({ lost: 0, divergent: 1, valid: false });
    expect(report.examples).toContain('divergent: partition 0 offset 3: broker 1 has kafkajs-1-1, broker 3 has http-1-1');
  });

  it('takes the final log from the leader named after healing', () => {
    const history = cleanHistory();
    const short = records('http-1-0', 'kafkajs-1-0');
    const full = records('http-1-0', 'kafkajs-1-0', 'http-1-1', 'kafkajs-1-1');
    const replicaLogs = [
      { partition: 0, brokerId: 1, records: short },
      { partition: 0, brokerId: 2, records: full },
    ];
    expect(checkFaultHistory({ ...history, replicas: replicaLogs, consumed: [] }).lost).toBe(0); // default: the longest
    expect(checkFaultHistory({ ...history, replicas: replicaLogs, consumed: [], leaders: new Map([[0, 1]]) }).lost).toBe(2);
  });

  it('fails on a consumed record that the final log no longer holds (taken back), counting each offset once', () => {
    const history = cleanHistory();
    const report = checkFaultHistory({
      ...history,
      consumed: [...history.consumed, { partition: 0, offset: 4, value: 'http-1-2' }, { partition: 0, offset: 4, value: 'http-1-2' }, { partition: 0, offset: 1, value: 'http-1-9' }],
    });
    expect(report).toMatchObject({ takenBack: 2, lost: 0, divergent: 0, valid: false });
    expect(report.examples).toContain('taken back: partition 0 offset 4 was consumed as http-1-2, the final log has nothing');
  });

  it('fails on a record no producer sent', () => {
    const history = cleanHistory();
    const log = [...records('http-1-0', 'kafkajs-1-0', 'http-1-1', 'kafkajs-1-1'), { offset: 4, value: 'garbage' }];
    const report = checkFaultHistory({ ...history, replicas: replicas(0, log) });
    expect(report).toMatchObject({ phantom: 1, valid: false });
  });

  it('counts duplicates: retries explain up to one copy per attempt; a copy beyond them from a non-idempotent client is reported, not failed', () => {
    const writes = [ok('http-1', 0, 0, 0, { attempts: 2 }), ok('kafkajs-1', 0, 0, 2), ok('http-1', 1, 0, 3)];
    // http-1-0 twice (2 attempts: explained), http-1-1 twice with one attempt (unexplained, HTTP promises no idempotence).
    const log = records('http-1-0', 'http-1-0', 'kafkajs-1-0', 'http-1-1', 'http-1-1');
    const report = checkFaultHistory({ writes, replicas: replicas(0, log), consumed: [] });
    expect(report).toMatchObject({ duplicated: 2, unexplainedDuplicates: 1, idempotentDuplicates: 0, lost: 0, valid: true });
    expect(report.examples.join('\n')).toContain('duplicate http-1-1 (1 attempts) at offsets 3, 4');
  });

  it('fails on a second copy of an idempotent producer\'s record (its retries must never be appended twice)', () => {
    // The history the fault test once found (seed 133377698): two kafkajs producers' values each
    // stored twice, adjacent, every other check clean.
    const writes = [ok('kafkajs-2', 0, 0, 0), ok('kafkajs-1', 0, 0, 1), ok('http-1', 0, 0, 4)];
    const log = records('kafkajs-2-0', 'kafkajs-1-0', 'kafkajs-2-0', 'kafkajs-1-0', 'http-1-0');
    const report = checkFaultHistory({ writes, replicas: replicas(0, log), consumed: log.map((r) => ({ partition: 0, ...r })) });
    expect(report).toMatchObject({ duplicated: 2, unexplainedDuplicates: 2, idempotentDuplicates: 2, lost: 0, divergent: 0, takenBack: 0, phantom: 0, valid: false });
    expect(report.examples).toContain('duplicate kafkajs-2-0 (idempotent) at offsets 0, 2');
    expect(report.examples).toContain('duplicate kafkajs-1-0 (idempotent) at offsets 1, 3');
  });

  it('counts a producer whose later value sits before an earlier one as reordered, per partition', () => {
    const writes = [ok('http-1', 0, 0, 1), ok('http-1', 1, 0, 0), ok('http-1', 2, 1, 0), ok('http-1', 3, 1, 1)];
    const report = checkFaultHistory({
      writes,
      replicas: [...replicas(0, records('http-1-1', 'http-1-0')), ...replicas(1, records('http-1-2', 'http-1-3'))],
      consumed: [],
    });
    expect(report).toMatchObject({ reordered: 1, lost: 0, valid: true });
  });

  it('does not count a write the client gave up on as lost, and counts it when it was applied anyway', () => {
    const writes = [ok('http-1', 0, 0, 0), { ...ok('http-1', 1, 0, 0), outcome: 'error' as const, offset: undefined }, { ...ok('http-1', 2, 0, 0), outcome: 'error' as const, offset: undefined }];
    const report = checkFaultHistory({ writes, replicas: replicas(0, records('http-1-0', 'http-1-2')), consumed: [] });
    expect(report).toMatchObject({ acknowledged: 1, lost: 0, indeterminateApplied: 1, valid: true });
  });
});
