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

/** Least-squares slope of RSS over time, MB per minute (NaN for fewer than 3 samples: nothing to judge). */
export function rssSlopeMbPerMin(samples: ReadonlyArray<{ atMs: number; mb: number }>): number {
  if (samples.length < 3) return Number.NaN;
  const n = samples.length;
  const meanT = samples.reduce((s, x) => s + x.atMs, 0) / n;
  const meanM = samples.reduce((s, x) => s + x.mb, 0) / n;
  let num = 0;
  let den = 0;
  for (const x of samples) {
    num += (x.atMs - meanT) * (x.mb - meanM);
    den += (x.atMs - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}
