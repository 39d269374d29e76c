/**
 * Which segments a retention pass deletes, with Kafka's semantics (UnifiedLog.deleteOldSegments):
 * only a prefix of the inactive segments (oldest first, never the active one), each deleted
 * because
 *
 * - log start offset: the next segment starts at or below logStartOffset (always applies);
 * - retention.ms (cleanup.policy includes delete, retention.ms >= 0): now - the segment's largest
 *   timestamp > retention.ms;
 * - retention.bytes (cleanup.policy includes delete, retention.bytes >= 0): the log without this
 *   segment would still hold at least retention.bytes. So the log never drops below the limit
 *   and may exceed it by less than one segment, exactly as Kafka's `diff - segment.size >= 0`.
 *
 * The scan stops at the first segment no rule deletes.
 */
import type { LogSegment } from './log-segment.js';
import type { TopicConfig } from './topic-config.js';

export type RetentionReason = 'log-start-offset' | 'retention-ms' | 'retention-bytes';

export interface DeletableSegment {
  readonly segment: LogSegment;
  readonly reason: RetentionReason;
}

export function selectSegmentsToDelete(
  segments: readonly LogSegment[],
  config: Pick<TopicConfig, 'retentionMs' | 'retentionBytes' | 'cleanupPolicy'>,
  logStartOffset: number,
  now: number,
): DeletableSegment[] {
  const deletes = config.cleanupPolicy !== 'compact';
  const total = segments.reduce((sum, segment) => sum + segment.size, 0);
  let excessBytes = deletes && config.retentionBytes >= 0 ? total - config.retentionBytes : -Infinity;
  const out: DeletableSegment[] = [];
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i];
    const reason: RetentionReason | null =
      segments[i + 1].baseOffset <= logStartOffset
        ? 'log-start-offset'
        : deletes && config.retentionMs >= 0 && now - segment.largestTimestamp > config.retentionMs
          ? 'retention-ms'
          : excessBytes - segment.size >= 0
            ? 'retention-bytes'
            : null;
    if (reason === null) break;
    excessBytes -= segment.size;
    out.push({ segment, reason });
  }
  return out;
}
