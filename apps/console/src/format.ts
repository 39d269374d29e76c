/** Display helpers: sizes, counts, rates, times and record fields as the console prints them. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatRate(perSecond: number | undefined, unit: 'records' | 'bytes'): string {
  if (perSecond === undefined) return '–';
  if (unit === 'bytes') return `${formatBytes(Math.round(perSecond))}/s`;
  return `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toLocaleString('en-US')}/s`;
}

export function formatMs(ms: number): string {
  if (ms < 0) return 'unlimited';
  const units: Array<[number, string]> = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'min'], [1000, 's']];
  for (const [size, name] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${name}`;
  return `${ms} ms`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** How the record browser shows a key or value. */
export type RenderMode = 'auto' | 'json' | 'text' | 'hex';

/** The API read format to ask for in a mode (hex asks for base64 and converts here). */
export function readFormatOf(mode: RenderMode): 'auto' | 'json' | 'string' | 'binary' {
  return mode === 'text' ? 'string' : mode === 'hex' ? 'binary' : mode;
}

/**
 * A key or value as the API rendered it, for a table cell: null stays "null", base64 becomes
 * hex in hex mode, strings print as they are, other JSON compactly.
 */
export function renderField(value: unknown, mode: RenderMode, base64: boolean): string {
  if (value === null || value === undefined) return 'null';
  if (mode === 'hex' && typeof value === 'string') return toHex(value);
  if (typeof value === 'string') return base64 ? `base64:${value}` : value;
  return JSON.stringify(value);
}

function toHex(base64: string): string {
  const bytes = atob(base64);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (i > 0 ? ' ' : '') + bytes.charCodeAt(i).toString(16).padStart(2, '0');
  return out;
}
