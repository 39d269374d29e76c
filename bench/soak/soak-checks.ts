/** What the soak reads back and computes at the end. */

export interface StoredRecords {
  /** Every stored value (the producers' ids). */
  readonly values: Set<string>;
  /** The last stored value of each key. */
  readonly byKey: Map<string, string>;
  readonly count: number;
}

/** Reads every partition of `topic` from its earliest offset (logStartOffset) to its highWatermark over HTTP fetch. */
export async function readAll(url: string, topic: string, partitions: number): Promise<StoredRecords> {
  const values = new Set<string>();
  const byKey = new Map<string, string>();
  let count = 0;
  for (let p = 0; p < partitions; p++) {
    const offsets = (await (await fetch(`${url}/v1/topics/${topic}/partitions/${p}/offsets`)).json()) as { earliest: number; highWatermark: number };
    let next = offsets.earliest;
    while (next < offsets.highWatermark) {
      const res = await fetch(`${url}/v1/topics/${topic}/partitions/${p}/records?offset=${next}&maxRecords=10000&maxBytes=4194304`);
      if (res.status !== 200) throw new Error(`reading ${topic}-${p} at ${next} answered ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { records: Array<{ key: unknown; value: unknown }>; nextOffset: number };
      for (const r of body.records) {
        count++;
        values.add(String(r.value));
        if (typeof r.key === 'string') byKey.set(r.key, String(r.value));
      }
      if (body.nextOffset <= next) throw new Error(`reading ${topic}-${p}: no progress at ${next}`);
      next = body.nextOffset;
    }
  }
  return { values, byKey, count };
}

export interface RssSample {
  readonly atMs: number;
  readonly mb: number;
}

/**
 * Fewest samples a slope is judged on. Two points always make a line; a dozen over half a minute or
 * more shows a trend rather than one garbage collection.
 */
export const MIN_SLOPE_SAMPLES = 10;

/**
 * Least-squares slope of RSS over time, MB per minute. NaN when there is nothing to judge: fewer than
 * 3 samples, all at the same moment (no time span: the slope is undefined, not 0), or a sample that
 * is not a finite number. Callers must treat NaN as "unknown" (judgeRssSlope does), never compare it
 * with a bound: `NaN > bound` is false, which would pass anything.
 */
export function rssSlopeMbPerMin(samples: ReadonlyArray<RssSample>): number {
  if (samples.length < 3 || samples.some((x) => !Number.isFinite(x.atMs) || !Number.isFinite(x.mb))) return Number.NaN;
  const n = samples.length;
  const meanT = samples.reduce((s, x) => s + x.atMs, 0) / n;
  const meanM = samples.reduce((s, x) => s + x.mb, 0) / n;
  let num = 0;
  let den = 0;
  for (const x of samples) {
    num += (x.atMs - meanT) * (x.mb - meanM);
    den += (x.atMs - meanT) ** 2;
  }
  return den === 0 ? Number.NaN : (num / den) * 60_000;
}

/**
 * How long a broker lifetime of `lifetimeMs` is left to warm up before its RSS is judged: 30 s, or
 * half the lifetime when that is shorter, so a short lifetime (the first one of a 2-minute run lasts
 * about 25 s) still leaves samples to compute a slope from rather than none (NaN).
 */
export function warmUpMs(lifetimeMs: number): number {
  return Math.max(0, Math.min(30_000, lifetimeMs / 2));
}

export interface SlopeFigure {
  /** MB/min; NaN when it could not be computed. */
  readonly slopeMbPerMin: number;
  readonly samples: number;
  /** The window the samples were taken from (ms since the soak started). */
  readonly fromMs: number;
  readonly toMs: number;
}

/** The slope of the samples taken after `fromMs` and up to `toMs`. */
export function slopeBetween(samples: ReadonlyArray<RssSample>, fromMs: number, toMs: number): SlopeFigure {
  const window = samples.filter((s) => s.atMs > fromMs && s.atMs <= toMs);
  return { slopeMbPerMin: rssSlopeMbPerMin(window), samples: window.length, fromMs, toMs };
}

/**
 * The failure for a slope figure, or null when it passes: too few samples and a slope that is not a
 * number fail (a memory check that cannot judge must not pass), as does one above `boundMbPerMin`.
 */
export function judgeRssSlope(figure: SlopeFigure, boundMbPerMin: number, minSamples = MIN_SLOPE_SAMPLES): string | null {
  if (!Number.isFinite(boundMbPerMin)) return `the RSS slope bound is not a number (${boundMbPerMin})`;
  const window = `${(figure.fromMs / 1000).toFixed(0)}-${(figure.toMs / 1000).toFixed(0)} s`;
  if (figure.samples < minSamples) return `only ${figure.samples} RSS samples after warm-up (${window}; at least ${minSamples} needed to judge memory)`;
  if (!(figure.slopeMbPerMin <= boundMbPerMin)) {
    return Number.isNaN(figure.slopeMbPerMin)
      ? `the RSS slope after warm-up is not a number (${figure.samples} samples, ${window})`
      : `RSS grew ${figure.slopeMbPerMin.toFixed(1)} MB/min after warm-up (${window}, bound ${boundMbPerMin})`;
  }
  return null;
}
