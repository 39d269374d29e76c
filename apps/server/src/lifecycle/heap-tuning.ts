/**
 * V8's heap growing factor for a broker (SPOOL_HEAP_GROWING_PERCENT, default 300: the old
 * generation may grow to 4x what survived the last full collection, plus V8's fixed step).
 *
 * Why: a broker's live heap is small and steady (~50 MB), while the bytes it moves live in Buffers
 * outside that heap. V8 counts Buffer memory allocated since the last mark-compact against the
 * old generation's limit, and sets that limit from the live heap times a growing factor it derives
 * from how little the JS heap itself grows: on a broker it settles at its minimum after the first
 * full collections (~60-76 MB on a ~52 MB live heap). From then on each few MB of records received,
 * copied or read for a follower started a mark-compact of the whole heap, tens of ms each (more on
 * a loaded core): a replicated produce of 1,000,000 records ran 10-18 of them on the leader and 3-8
 * on each follower, and every round after the first cost the brokers ~1.5-3x the CPU of the first,
 * whose limit was still the generous one left by start-up (docs/benchmarks.md, "Replication").
 * With a fixed factor the limit stays proportional to the live heap, as it was for that first run:
 * the same produce runs 1-2 mark-compacts per broker and the Buffers die in the young generation's
 * scavenges. Kafka's launcher tunes its collector too (G1, InitiatingHeapOccupancyPercent=35 in
 * kafka-run-class.sh). The cost is memory: up to the factor times the live heap before a full
 * collection, bounded by V8's heap limit as always.
 *
 * V8 reads the flag each time it recomputes the limits (after every full collection), so setting
 * it at start-up, before the app loads, takes effect from the first one.
 */
import v8 from 'node:v8';

export function applyHeapGrowingPercent(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
