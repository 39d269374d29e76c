/**
 * The checker of the replication fault test (issue 12, "Fault test"): pure functions over a
 * history recorded by the test (what each producer sent and what it was told, what the consumer
 * group saw) and the final logs of every replica of every partition, read after the cluster was
 * healed. Nothing here talks to a process, so each rule is unit tested on hand-made histories that
 * must fail (`fault-checker.spec.ts`).
 *
 * The claims checked, in Kafka's terms:
 *
 * - **lost**: an acknowledged write (acks=all) is a promise that the partition holds `value` at
 *   `offset`; after healing, the final log must hold exactly that value there. An acknowledged value
 *   that is absent, or present only at another offset, is lost (its acknowledged offset was taken
 *   back and reused).
 * - **duplicated**: extra copies of a value in the final log. A client that retried a value it was
 *   not told the outcome of may explain up to one copy per attempt; an idempotent producer
 *   explains none (Kafka's idempotence: a retry is never appended twice), so copies beyond
 *   that are `unexplainedDuplicates`, and those of idempotent producers `idempotentDuplicates`
 *   (issue 12 demands zero of them).
 * - **reordered**: a producer sends one value at a time and waits for its answer, so its values
 *   should sit in the log in the order it sent them. Counted per producer and partition (pairs of
 *   consecutive present values whose offsets go backwards). A request the client gave up on
 *   (timed out against a paused broker) may still be appended later, so this is reported, not a failure.
 * - **divergent**: two replicas holding different records at one offset (KIP-101's failure).
 * - **takenBack**: a record the consumer group was given (consumers read below the high
 *   watermark) that the final log does not hold at that offset.
 * - **phantom**: a record in a final log that no producer ever sent (corruption).
 *
 * The test fails on lost, divergent, takenBack and phantom records and on any duplicate of an
 * idempotent producer; the rest is reported (an HTTP client's copies beyond its attempts are
 * counted in unexplainedDuplicates, not failed: the HTTP face promises no idempotence).
 */

/** One value a producer sent (with its retries), and what it was told in the end. */
export interface WriteOp {
  /** Producer name (e.g. `http-1`, `kafkajs-1`); with `seq`, the order it sent in. */
  readonly producer: string;
  /** An idempotent producer (kafkajs `idempotent: true`): its retries must never duplicate. */
  readonly idempotent: boolean;
  /** The record's value, unique over the whole history. */
  readonly value: string;
  /** Position in this producer's sends, from 0. */
  readonly seq: number;
  readonly partition: number;
  /** Requests that carried this value (the client's own retries; 1 for kafkajs, whose retries are idempotent). */
  readonly attempts: number;
  /** `ok`: acknowledged (acks=all) at `offset`; `error`: the client gave up (the value may or may not be in the log). */
  readonly outcome: 'ok' | 'error';
  /** The acknowledged offset (with outcome `ok`). */
  readonly offset?: number;
  /** Diagnostics for failure messages: when it was acknowledged (ms since the epoch) and through which broker. */
  readonly ackedAtMs?: number;
  readonly via?: string;
}

/** A record as a replica stores it. */
export interface StoredRecord {
  readonly offset: number;
  readonly value: string;
  /** The batch's partitionLeaderEpoch (diagnostics). */
  readonly leaderEpoch?: number;
}

/** The whole log of one replica of one partition, read after healing. */
export interface ReplicaLog {
  readonly partition: number;
  readonly brokerId: number;
  /** In offset order. */
  readonly records: readonly StoredRecord[];
}

/** A record the consumer group was given. */
export interface ConsumedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

export interface FaultHistory {
  readonly writes: readonly WriteOp[];
  readonly replicas: readonly ReplicaLog[];
  readonly consumed: readonly ConsumedRecord[];
  /** The leader of each partition after healing: its log is the final log (default: the longest replica). */
  readonly leaders?: ReadonlyMap<number, number>;
}

export interface FaultReport {
  readonly writes: number;
  readonly acknowledged: number;
  /** Values the client gave up on that are in the final log anyway. */
  readonly indeterminateApplied: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly unexplainedDuplicates: number;
  /** The part of unexplainedDuplicates written by idempotent producers: any fails the test. */
  readonly idempotentDuplicates: number;
  readonly reordered: number;
  readonly divergent: number;
  readonly consumed: number;
  readonly takenBack: number;
  readonly phantom: number;
  /** Records in the final logs. */
  readonly stored: number;
  /** Up to a few examples per failing category, for the failure message. */
  readonly examples: readonly string[];
  readonly valid: boolean;
}

const EXAMPLES_PER_KIND = 5;

/** The final log of each partition: the leader's replica (or the longest), as offset -> value. */
export function finalLogs(history: FaultHistory): Map<number, Map<number, string>> {
  const byPartition = new Map<number, ReplicaLog[]>();
  for (const replica of history.replicas) {
    const list = byPartition.get(replica.partition) ?? [];
    list.push(replica);
    byPartition.set(replica.partition, list);
  }
  const logs = new Map<number, Map<number, string>>();
  for (const [partition, replicas] of byPartition) {
    const leader = history.leaders?.get(partition);
    const chosen =
      replicas.find((r) => r.brokerId === leader) ??
      replicas.reduce((best, r) => (lastOffset(r) > lastOffset(best) ? r : best));
    logs.set(partition, new Map(chosen.records.map((r) => [r.offset, r.value])));
  }
  return logs;
}

function lastOffset(replica: ReplicaLog): number {
  return replica.records.length === 0 ? -1 : replica.records[replica.records.length - 1].offset;
}

/** Acknowledged writes whose (offset, value) the final log does not hold. */
export function lostWrites(writes: readonly WriteOp[], logs: ReadonlyMap<number, ReadonlyMap<number, string>>): WriteOp[] {
  return writes.filter((w) => w.outcome === 'ok' && logs.get(w.partition)?.get(w.offset ?? -1) !== w.value);
}

export interface DuplicateCount {
  readonly duplicated: number;
  readonly unexplained: number;
  /** Of `unexplained`, the copies of idempotent producers' values. */
  readonly idempotent: number;
  readonly examples: string[];
}

/** Extra copies of each value in the final logs, and those the client's retries do not explain. */
export function duplicates(writes: readonly WriteOp[], logs: ReadonlyMap<number, ReadonlyMap<number, string>>): DuplicateCount {
  const copies = new Map<string, number[]>();
  for (const log of logs.values()) {
    for (const [offset, value] of log) {
      const list = copies.get(value) ?? [];
      list.push(offset);
      copies.set(value, list);
    }
  }
  const byValue = new Map(writes.map((w) => [w.value, w]));
  let duplicated = 0;
  let unexplained = 0;
  let idempotent = 0;
  const examples: string[] = [];
  for (const [value, offsets] of copies) {
    if (offsets.length < 2) continue;
    duplicated += offsets.length - 1;
    const write = byValue.get(value);
    const allowed = write === undefined ? 1 : write.idempotent ? 1 : Math.max(1, write.attempts);
    if (offsets.length > allowed) {
      unexplained += offsets.length - allowed;
      if (write?.idempotent === true) idempotent += offsets.length - allowed;
      if (examples.length < EXAMPLES_PER_KIND) examples.push(`duplicate ${value} (${write?.idempotent ? 'idempotent' : `${write?.attempts ?? '?'} attempts`}) at offsets ${offsets.join(', ')}`);
    }
  }
  return { duplicated, unexplained, idempotent, examples };
}

/** Per producer and partition, consecutive present values (in send order) whose offsets go backwards. */
export function reorders(writes: readonly WriteOp[], logs: ReadonlyMap<number, ReadonlyMap<number, string>>): { count: number; examples: string[] } {
  const firstOffset = new Map<string, number>();
  for (const log of logs.values()) {
    for (const [offset, value] of log) if (!firstOffset.has(value) || firstOffset.get(value)! > offset) firstOffset.set(value, offset);
  }
  const streams = new Map<string, WriteOp[]>();
  for (const w of writes) {
    const key = `${w.producer}/${w.partition}`;
    const list = streams.get(key) ?? [];
    list.push(w);
    streams.set(key, list);
  }
  let count = 0;
  const examples: string[] = [];
  for (const stream of streams.values()) {
    let previous: { value: string; offset: number } | null = null;
    for (const w of [...stream].sort((a, b) => a.seq - b.seq)) {
      const offset = firstOffset.get(w.value);
      if (offset === undefined) continue;
      if (previous !== null && offset < previous.offset) {
        count++;
        if (examples.length < EXAMPLES_PER_KIND) examples.push(`reordered: ${w.value} at offset ${offset}, before ${previous.value} at ${previous.offset} (sent earlier)`);
      }
      previous = { value: w.value, offset };
    }
  }
  return { count, examples };
}

/** Offsets at which two replicas of a partition hold different values. */
export function divergences(replicas: readonly ReplicaLog[]): string[] {
  const seen = new Map<string, { brokerId: number; value: string; leaderEpoch?: number }>();
  const found = new Set<string>();
  const out: string[] = [];
  for (const replica of replicas) {
    for (const record of replica.records) {
      const key = `${replica.partition}@${record.offset}`;
      const other = seen.get(key);
      if (other === undefined) seen.set(key, { brokerId: replica.brokerId, value: record.value, leaderEpoch: record.leaderEpoch });
      else if (other.value !== record.value && !found.has(key)) {
        found.add(key);
        out.push(`divergent: partition ${replica.partition} offset ${record.offset}: broker ${other.brokerId} has ${other.value}${epochNote(other.leaderEpoch)}, broker ${replica.brokerId} has ${record.value}${epochNote(record.leaderEpoch)}`);
      }
    }
  }
  return out;
}

function epochNote(leaderEpoch: number | undefined): string {
  return leaderEpoch === undefined ? '' : ` (epoch ${leaderEpoch})`;
}

/** Records the consumer group saw that the final log does not hold at that offset (each offset once). */
export function takenBack(consumed: readonly ConsumedRecord[], logs: ReadonlyMap<number, ReadonlyMap<number, string>>): string[] {
  const out = new Map<string, string>();
  for (const c of consumed) {
    const key = `${c.partition}@${c.offset}`;
    const now = logs.get(c.partition)?.get(c.offset);
    if (now !== c.value && !out.has(key)) out.set(key, `taken back: partition ${c.partition} offset ${c.offset} was consumed as ${c.value}, the final log has ${now ?? 'nothing'}`);
  }
  return [...out.values()];
}

/** Runs every check; `valid` is false on any lost, divergent, taken-back or phantom record, or an idempotent producer's duplicate. */
export function checkFaultHistory(history: FaultHistory): FaultReport {
  const logs = finalLogs(history);
  const sent = new Set(history.writes.map((w) => w.value));
  const lost = lostWrites(history.writes, logs);
  const dups = duplicates(history.writes, logs);
  const order = reorders(history.writes, logs);
  const divergent = divergences(history.replicas);
  const back = takenBack(history.consumed, logs);
  const phantoms: string[] = [];
  const present = new Set<string>();
  let stored = 0;
  for (const [partition, log] of logs) {
    for (const [offset, value] of log) {
      stored++;
      present.add(value);
      if (!sent.has(value)) phantoms.push(`phantom: partition ${partition} offset ${offset} holds ${value}, which no producer sent`);
    }
  }
  const examples = [
    ...lost.slice(0, EXAMPLES_PER_KIND).map((w) => {
      const at = logs.get(w.partition)?.get(w.offset ?? -1);
      const when = w.ackedAtMs === undefined ? '' : ` at ${new Date(w.ackedAtMs).toISOString()}${w.via === undefined ? '' : ` via ${w.via}`}`;
      return `lost: ${w.value} (${w.producer}) acknowledged at partition ${w.partition} offset ${w.offset}${when}; the final log has ${at ?? 'nothing'} there${present.has(w.value) ? ` (${w.value} is elsewhere)` : ''}`;
    }),
    ...divergent.slice(0, EXAMPLES_PER_KIND),
    ...back.slice(0, EXAMPLES_PER_KIND),
    ...phantoms.slice(0, EXAMPLES_PER_KIND),
    ...dups.examples,
    ...order.examples,
  ];
  return {
    writes: history.writes.length,
    acknowledged: history.writes.filter((w) => w.outcome === 'ok').length,
    indeterminateApplied: history.writes.filter((w) => w.outcome === 'error' && present.has(w.value)).length,
    lost: lost.length,
    duplicated: dups.duplicated,
    unexplainedDuplicates: dups.unexplained,
    idempotentDuplicates: dups.idempotent,
    reordered: order.count,
    divergent: divergent.length,
    consumed: history.consumed.length,
    takenBack: back.length,
    phantom: phantoms.length,
    stored,
    examples,
    valid: lost.length === 0 && divergent.length === 0 && back.length === 0 && phantoms.length === 0 && dups.idempotent === 0,
  };
}

/** The counts as one line (what the test prints, and what docs/replication.md quotes). */
export function formatFaultReport(report: FaultReport): string {
  return [
    `acknowledged=${report.acknowledged}/${report.writes}`,
    `lost=${report.lost}`,
    `duplicated=${report.duplicated}`,
    `unexplainedDuplicates=${report.unexplainedDuplicates}`,
    `idempotentDuplicates=${report.idempotentDuplicates}`,
    `reordered=${report.reordered}`,
    `divergent=${report.divergent}`,
    `consumed=${report.consumed}`,
    `takenBack=${report.takenBack}`,
    `phantom=${report.phantom}`,
    `indeterminateApplied=${report.indeterminateApplied}`,
    `stored=${report.stored}`,
  ].join(' ');
}
