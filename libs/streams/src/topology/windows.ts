/**
 * Window specifications (Kafka Streams' names and semantics). Times are record timestamps in ms.
 *
 * - Tumbling / hopping (`TimeWindows`): windows `[start, start + sizeMs)` with `start` a multiple of
 *   `advanceMs` (= sizeMs for tumbling). A window **closes** when the stream time (the largest
 *   timestamp the node has seen) reaches `end + graceMs`; a record for a closed window is dropped
 *   (late). Until then a late record still updates its window.
 * - Sessions (`SessionWindows`): a key's records closer than `inactivityGapMs` form one session
 *   `[first, last]`; a record between two sessions merges them. A session closes at `end + gap + grace`.
 * - Joins (`JoinWindows`): two records join when their timestamps differ by at most `timeDifferenceMs`;
 *   a record arriving after `timestamp + timeDifferenceMs + graceMs` <= stream time is dropped.
 */
import type { WindowBounds } from '../record.js';
import { StreamsError } from '../streams.error.js';

function checkMs(what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new StreamsError('INVALID_TOPOLOGY', `${what} must be an integer >= ${min} ms, got ${value}`);
}

export class TimeWindows {
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {}

  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0);
  }

  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    checkMs('window size', sizeMs, 1);
    checkMs('grace period', graceMs, 0);
    return new TimeWindows(sizeMs, sizeMs, graceMs);
  }

  /** Hopping windows: a new window every `advanceMs` (at most the size). */
  advanceBy(advanceMs: number): TimeWindows {
    checkMs('window advance', advanceMs, 1);
    if (advanceMs > this.sizeMs) throw new StreamsError('INVALID_TOPOLOGY', `window advance ${advanceMs} ms is larger than the window size ${this.sizeMs} ms`);
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /** Every window that contains `timestampMs`, oldest first. */
  windowsFor(timestampMs: number): WindowBounds[] {
    const earliest = Math.max(0, timestampMs - this.sizeMs + this.advanceMs);
    const out: WindowBounds[] = [];
    for (let start = earliest - (earliest % this.advanceMs); start <= timestampMs; start += this.advanceMs) {
      out.push({ startMs: start, endMs: start + this.sizeMs });
    }
    return out;
  }

  /** How long after its end a window stays open. */
  get closeDelayMs(): number {
    return this.graceMs;
  }
}

export class SessionWindows {
  private constructor(
    readonly inactivityGapMs: number,
    readonly graceMs: number,
  ) {}

  static ofInactivityGapWithNoGrace(inactivityGapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(inactivityGapMs, 0);
  }

  static ofInactivityGapAndGrace(inactivityGapMs: number, graceMs: number): SessionWindows {
    checkMs('inactivity gap', inactivityGapMs, 1);
    checkMs('grace period', graceMs, 0);
    return new SessionWindows(inactivityGapMs, graceMs);
  }

  get closeDelayMs(): number {
    return this.inactivityGapMs + this.graceMs;
  }
}

export class JoinWindows {
  private constructor(
    readonly timeDifferenceMs: number,
    readonly graceMs: number,
  ) {}

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    checkMs('join time difference', timeDifferenceMs, 0);
    checkMs('grace period', graceMs, 0);
    return new JoinWindows(timeDifferenceMs, graceMs);
  }
}
