/**
 * Kafka's quota rate measurement (org.apache.kafka.common.metrics.stats.Rate over a SampledStat
 * WindowedSum), re-implemented so throttle times match a Kafka broker's for the same traffic:
 *
 * - values are summed into samples of `windowMs` (quota.window.size.seconds, default 1 s); a
 *   record landing after the current sample's window starts the next sample, recycling the oldest
 *   of `samples + 1` slots (quota.window.num, default 11);
 * - before measuring, samples with no event for samples * windowMs are reset (obsolete);
 * - window = now - start of the oldest sample, but never less than (samples - 1) full windows:
 *   a quiet client's first burst is spread over the whole window, not measured over 1 ms;
 * - rate = sum of samples / window, per second.
 *
 * throttleTimeMs(bound) is Kafka's ClientQuotaManager.throttleTime: the delay X that brings the
 * observed rate O down to the bound T over window W, O * W / (W + X) = T, so X = (O - T) / T * W.
 */
export class SampledRate {
  private readonly values: number[] = [];
  private readonly starts: number[] = [];
  private readonly lastEvents: number[] = [];
  private current = 0;
  lastRecordMs = 0;

  constructor(
    private readonly samples = 11,
    private readonly windowMs = 1000,
  ) {}

  record(value: number, nowMs: number): void {
    if (this.values.length === 0) this.newSample(nowMs);
    if (nowMs - this.starts[this.current] >= this.windowMs) this.advance(nowMs);
    this.values[this.current] += value;
    this.lastEvents[this.current] = nowMs;
    this.lastRecordMs = nowMs;
  }

  /** Rate per second at `nowMs`. */
  measure(nowMs: number): number {
    const windowMs = this.windowSizeMs(nowMs);
    let total = 0;
    for (const v of this.values) total += v;
    return (total * 1000) / windowMs;
  }

  windowSizeMs(nowMs: number): number {
    this.purgeObsolete(nowMs);
    if (this.values.length === 0) this.newSample(nowMs);
    let oldestStart = this.starts[0];
    for (let i = 1; i < this.starts.length; i++) if (this.starts[i] < oldestStart) oldestStart = this.starts[i];
    let elapsed = nowMs - oldestStart;
    const fullWindows = Math.floor(elapsed / this.windowMs);
    const minFullWindows = this.samples - 1;
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.windowMs;
    return Math.max(elapsed, 1);
  }

  /** 0 when the rate is within `bound`, else Kafka's throttle time in ms. */
  throttleTimeMs(bound: number, nowMs: number): number {
    const rate = this.measure(nowMs);
    if (rate <= bound) return 0;
    return Math.round(((rate - bound) / bound) * this.windowSizeMs(nowMs));
  }

  private newSample(nowMs: number): void {
    this.values.push(0);
    this.starts.push(nowMs);
    this.lastEvents.push(nowMs);
    this.current = this.values.length - 1;
  }

  private advance(nowMs: number): void {
    this.current = (this.current + 1) % (this.samples + 1);
    if (this.current >= this.values.length) this.newSample(nowMs);
    else this.reset(this.current, nowMs);
  }

  private reset(i: number, nowMs: number): void {
    this.values[i] = 0;
    this.starts[i] = nowMs;
    this.lastEvents[i] = nowMs;
  }

  private purgeObsolete(nowMs: number): void {
    const expireAgeMs = this.samples * this.windowMs;
    for (let i = 0; i < this.values.length; i++) if (nowMs - this.lastEvents[i] >= expireAgeMs) this.reset(i, nowMs);
  }
}
