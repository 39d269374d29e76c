import { cleanableSections, filthiest, isCleanable, type CleanerTarget } from './cleaner-selection.js';
import type { LogSegment } from './log-segment.js';
import { parseTopicConfig } from './topic-config.js';

const NOW = 1_700_000_000_000;

/** A stand-in segment: [base, next) offsets, size bytes, newest record at `largest`. */
function seg(base: number, next: number, size: number, largest = NOW - 1000, first: number | null = largest): LogSegment {
  return { baseOffset: base, nextOffset: () => next, size, largestTimestamp: largest, rollingBasedTimestamp: first } as unknown as LogSegment;
}

function target(segments: LogSegment[], configs: Record<string, string> = {}, logStartOffset = 0, highWatermark = Number.MAX_SAFE_INTEGER): CleanerTarget {
  return {
    log: { topicPartition: { topic: 't', partition: 0 }, logStartOffset, highWatermark, segments: () => segments, replaceSegments: async () => undefined, read: () => Promise.reject(new Error('the selection reads no records')) },
    config: parseTopicConfig({ 'cleanup.policy': 'compact', ...configs }),
  };
}

describe('cleanableSections', () => {
  it('has nothing to clean with only the active segment', () => {
    expect(cleanableSections(target([seg(0, 10, 100)]), undefined, NOW, undefined)).toBeNull();
  });

  it('ends the dirty section at the first offset of an open transaction (the last stable offset)', () => {
    const t = target([seg(0, 10, 100), seg(10, 20, 300), seg(20, 25, 50)], {}, 0, 22);
    expect(cleanableSections(t, undefined, NOW, undefined)).toMatchObject({ firstDirtyOffset: 0, firstUncleanableOffset: 20 });
    expect(cleanableSections(t, undefined, NOW, undefined, 12)).toMatchObject({ firstDirtyOffset: 0, firstUncleanableOffset: 12 });
    // Never below the dirty section's start.
    expect(cleanableSections(t, 15, NOW, undefined, 12)).toMatchObject({ firstDirtyOffset: 15, firstUncleanableOffset: 15 });
  });

  it('splits clean, dirty and uncleanable by checkpoint and active segment', () => {
    const t = target([seg(0, 10, 100), seg(10, 20, 300), seg(20, 25, 50)]);
    const s = cleanableSections(t, 10, NOW, undefined)!;
    expect(s).toMatchObject({ firstDirtyOffset: 10, firstUncleanableOffset: 20, cleanBytes: 100, dirtyBytes: 300, dirtyRatio: 0.75 });
    expect(isCleanable(s)).toBe(true);
    expect(isCleanable(cleanableSections(target(t.log.segments() as LogSegment[], { 'min.cleanable.dirty.ratio': '0.8' }), 10, NOW, undefined)!)).toBe(false);
  });

  it('resets a checkpoint outside the log to the log start', () => {
    const segments = [seg(5, 10, 100), seg(10, 20, 100)];
    expect(cleanableSections(target(segments, {}, 5), 2, NOW, undefined)!.firstDirtyOffset).toBe(5);
    expect(cleanableSections(target(segments, {}, 5), 99, NOW, undefined)!.firstDirtyOffset).toBe(5);
  });

  it('stops the dirty section at the first segment younger than min.compaction.lag.ms', () => {
    const segments = [seg(0, 10, 100, NOW - 5000), seg(10, 20, 100, NOW - 10), seg(20, 30, 100, NOW - 5000), seg(30, 31, 10)];
    const s = cleanableSections(target(segments, { 'min.compaction.lag.ms': '1000' }), undefined, NOW, undefined)!;
    expect(s).toMatchObject({ firstUncleanableOffset: 10, dirtyBytes: 100 });
  });

  it('never cleans at or above the high watermark (uncommitted records a truncation may take back)', () => {
    const segments = [seg(0, 10, 100), seg(10, 20, 300), seg(20, 30, 300), seg(30, 31, 10)];
    expect(cleanableSections(target(segments, {}, 0, 15), 10, NOW, undefined)!).toMatchObject({ firstUncleanableOffset: 15, dirtyBytes: 300 });
    expect(cleanableSections(target(segments, {}, 0, 5), 10, NOW, undefined)!).toMatchObject({ firstUncleanableOffset: 10, dirtyBytes: 0 });
  });

  it('marks a log overdue past max.compaction.lag.ms whatever its ratio', () => {
    const segments = [seg(0, 10, 1000, NOW - 10, NOW - 10), seg(10, 20, 10, NOW - 10, NOW - 5000), seg(20, 21, 10)];
    const s = cleanableSections(target(segments, { 'max.compaction.lag.ms': '1000', 'min.cleanable.dirty.ratio': '0.9' }), 10, NOW, undefined)!;
    expect(s.overdue).toBe(true);
    expect(isCleanable(s)).toBe(true);
  });

  it('is cleanable without dirty bytes once a delete horizon passed', () => {
    const segments = [seg(0, 10, 100), seg(10, 11, 10)];
    expect(isCleanable(cleanableSections(target(segments), 10, NOW, NOW + 1)!)).toBe(false);
    expect(isCleanable(cleanableSections(target(segments), 10, NOW, NOW)!)).toBe(true);
  });

  it('picks overdue logs first, then the highest dirty ratio', () => {
    const low = cleanableSections(target([seg(0, 10, 100), seg(10, 20, 100), seg(20, 21, 1)]), 10, NOW, undefined)!;
    const high = cleanableSections(target([seg(0, 10, 10), seg(10, 20, 100), seg(20, 21, 1)]), 10, NOW, undefined)!;
    expect(filthiest([low, high])).toBe(high);
    const overdue = { ...low, overdue: true };
    expect(filthiest([high, overdue])).toBe(overdue);
    expect(filthiest([])).toBeNull();
  });
});
