/**
 * What bench:ws asks of each system it measures (Spool over WebSocket, NATS JetStream, Redis
 * Streams), so the three run the same scenarios with the same records in the same process:
 *
 * - drain: `records` values of VALUE_BYTES each are loaded first (not timed), then one consumer
 *   reads them all from the start; the time from subscribing to the last record is measured.
 * - latency: `subscribers` consumers start at the end of a fresh stream, then a producer in this
 *   process sends `ratePerSec` records (in batches every TICK_MS) for `seconds`; each record
 *   carries its send time, and every delivery to every subscriber is one sample of
 *   `delivered - sent` (one clock: producer and consumers share this process). Records of the
 *   first WARMUP_MS are sent and delivered but not counted.
 */

/** Values of 100 bytes: 98 'v' between the quotes of a JSON string, or 100 bytes raw. */
export const VALUE_BYTES = 100;
export const TICK_MS = 10;
export const WARMUP_MS = 1000;

export interface LatencyPlan {
  readonly stream: string;
  readonly ratePerSec: number;
  readonly seconds: number;
  readonly subscribers: number;
}

export interface Peer {
  readonly name: string;
  /** Appends `records` records of VALUE_BYTES to `stream` (created here); not timed. */
  load(stream: string, records: number): Promise<void>;
  /** One consumer reads `records` records of `stream` from the start; resolves with milliseconds. */
  drain(stream: string, records: number): Promise<number>;
  /** Runs the latency scenario; resolves with the samples (ms), unsorted. */
  latency(plan: LatencyPlan): Promise<Float64Array>;
  stop(): Promise<void>;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across this process. */
export const now = (): number => performance.timeOrigin + performance.now();

/** A record's payload in the latency runs: its send time, and whether it is warm-up. */
export interface Stamp {
  readonly t: number;
  readonly w: 0 | 1;
}

/** Collects `delivered - sent` for every non-warm-up stamp. */
export class Samples {
  private values = new Float64Array(1 << 16);
  private length = 0;

  add(stamp: Stamp, deliveredAt: number): void {
    if (stamp.w === 1) return;
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = deliveredAt - stamp.t;
  }

  get count(): number {
    return this.length;
  }

  toArray(): Float64Array {
    return this.values.slice(0, this.length);
  }
}

/**
 * Calls `send(count, stamp)` every TICK_MS with `ratePerSec * TICK_MS / 1000` records (carrying
 * a fractional remainder over), for WARMUP_MS + `seconds`. Each tick is due at a fixed time from
 * the start, so a late tick sends its records late rather than never (their stamp is the real send time).
 */
export async function pace(ratePerSec: number, seconds: number, send: (count: number, stamp: Stamp) => void): Promise<number> {
  const started = now();
  const end = started + WARMUP_MS + seconds * 1000;
  const perTick = (ratePerSec * TICK_MS) / 1000;
  let owed = 0;
  let sent = 0;
  for (let tick = 0; ; tick++) {
    const due = started + tick * TICK_MS;
    if (due >= end) break;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    owed += perTick;
    const count = Math.floor(owed);
    owed -= count;
    if (count === 0) continue;
    const t = now();
    send(count, { t, w: t - started < WARMUP_MS ? 1 : 0 });
    sent += count;
  }
  return sent;
}

/** Resolves once `done()` is true, checking every `everyMs`, or rejects after `timeoutMs` with `what`. */
export async function until(done: () => boolean, what: string, timeoutMs: number, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
