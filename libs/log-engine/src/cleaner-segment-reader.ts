/**
 * Reads the whole batches of one (inactive, hence immutable) segment for the cleaner, in chunks
 * of `chunkBytes`, so cleaning a 1 GiB segment does not hold it in memory. Yielded buffers are
 * views of a chunk that is never reused, so a caller may keep them after the next iteration.
 *
 * The segment is pinned (`retain`) while it is read, so a concurrent replace or delete waits for
 * the read to finish. A segment already closed is reported as SegmentGoneError: the cleaner
 * then abandons this pass (the log changed under it) and tries again later.
 */
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '@spool/protocol';
import { SpoolError } from '@spool/common';
import type { LogSegment } from './log-segment.js';

export class SegmentGoneError extends Error {
  constructor(readonly path: string) {
    super(`segment ${path} was closed while the cleaner read it`);
  }
}

export async function* segmentBatches(segment: LogSegment, chunkBytes = 1 << 20): AsyncGenerator<Buffer> {
  if (!segment.retain()) throw new SegmentGoneError(segment.logPath);
  try {
    const end = segment.size;
    let position = 0;
    while (position < end) {
      const chunk = await segment.readBytes(position, Math.max(chunkBytes, RECORD_BATCH_OVERHEAD));
      let at = 0;
      while (at + LOG_OVERHEAD <= chunk.length) {
        const size = chunk.readInt32BE(at + 8) + LOG_OVERHEAD;
        if (size < RECORD_BATCH_OVERHEAD) {
          throw new SpoolError('CORRUPT_MESSAGE', `segment ${segment.logPath}: batch at ${position + at} declares ${size} bytes`);
        }
        if (at + size > chunk.length) {
          if (at === 0) {
            // A batch larger than the chunk: read exactly it.
            const whole = await segment.readBytes(position, size);
            if (whole.length < size) throw truncated(segment, position);
            yield whole;
            at = size;
          }
          break;
        }
        yield chunk.subarray(at, at + size);
        at += size;
      }
      if (at === 0) throw truncated(segment, position);
      position += at;
    }
  } finally {
    segment.release();
  }
}

function truncated(segment: LogSegment, position: number): SpoolError {
  return new SpoolError('CORRUPT_MESSAGE', `segment ${segment.logPath}: truncated batch at position ${position}`);
}
