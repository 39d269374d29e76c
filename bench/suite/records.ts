/**
 * The records every workload moves, whatever the system: values of `valueBytes` bytes (100 and
 * 1024), no key, in batches of `recordsPerBatch` (1000 records, fewer for large values so that a
 * batch stays under 512 KiB, below the WebSocket frame limit of 1 MiB). Over JSON faces a value is
 * a JSON string whose text, quotes included, is `valueBytes` long: the broker stores exactly that
 * many bytes, as the other systems do.
 */
const BATCH_BYTES = 512 * 1024;

export function recordsPerBatch(valueBytes: number): number {
  return Math.max(1, Math.min(1000, Math.floor(BATCH_BYTES / (valueBytes + 16))));
}

/** The raw value: `valueBytes` ASCII bytes. */
export function rawValue(valueBytes: number): Buffer {
  return Buffer.alloc(valueBytes, 0x78);
}

/** The JSON text of a string value `valueBytes` long with its quotes. */
export function jsonValue(valueBytes: number): string {
  return JSON.stringify('x'.repeat(Math.max(0, valueBytes - 2)));
}

/** `{"records":[{"value":...}, ...]}` for HTTP produce. */
export function httpProduceBody(count: number, valueBytes: number, extra: Record<string, unknown> = {}): Buffer {
  const value = jsonValue(valueBytes);
  const records = new Array<string>(count).fill(`{"value":${value}}`).join(',');
  const more = Object.entries(extra).map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('');
  return Buffer.from(`{"records":[${records}]${more}}`);
}

/**
 * A value carrying the moment it was meant to be sent (ms since the time origin, to the µs),
 * padded to `valueBytes` with its JSON quotes: `"<sentAtMs>|xxxx..."`.
 */
export function stampedValue(sentAtMs: number, valueBytes: number): string {
  const stamp = sentAtMs.toFixed(3) + '|';
  return JSON.stringify(stamp + 'x'.repeat(Math.max(0, valueBytes - 2 - stamp.length)));
}

/** The send time inside a value made by stampedValue (the parsed string, without quotes). */
export function sentAtOf(value: string): number {
  return Number(value.slice(0, value.indexOf('|')));
}

/** Wall-clock-free milliseconds shared by every part of this process. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
