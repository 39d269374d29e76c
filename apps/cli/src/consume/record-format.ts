/**
 * How `spool consume` prints each record.
 *
 * JSON lines (the default): the broker's record as fetched (docs/http-api.md, "Fetch") with the
 * topic first, one object per line, the same shape as the SSE face's `data:` lines:
 *   {"topic":"t","partition":0,"offset":7,"timestamp":1767225600000,"key":"k","value":{"n":1},"headers":{}}
 *
 * Templates (-f, kcat's tokens):
 *   %t topic   %p partition   %o offset   %T timestamp (ms)   %k key   %s value
 *   %K key length   %S value length (bytes of the rendered text; -1 for null)
 *   %h headers as name=value,name=value   %%  a percent sign   \n \r \t \\  escapes
 * A string key or value prints as its text, any other JSON value as compact JSON, null as an
 * empty string (as kcat prints a null payload), base64 (binary formats) as base64.
 *
 * Each function formats a whole page into one string: one write per page, not per record.
 */
import { usageError } from '../cli.error.js';

export interface FetchedRecordLike {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: unknown;
  readonly value: unknown;
  readonly headers: Record<string, string | null>;
}

export type PageFormatter = (topic: string, records: readonly FetchedRecordLike[], from: number, to: number) => string;

/** JSON lines: the record's own JSON with "topic" spliced in first (no re-ordering work per record). */
export function jsonLines(topic: string): PageFormatter {
  const head = `{"topic":${JSON.stringify(topic)},`;
  return (_topic, records, from, to) => {
    let out = '';
    for (let i = from; i < to; i++) out += head + JSON.stringify(records[i]).slice(1) + '\n';
    return out;
  };
}

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function length(v: unknown): number {
  return v === null || v === undefined ? -1 : Buffer.byteLength(text(v));
}

type Piece = string | ((topic: string, r: FetchedRecordLike) => string);

/** Compiles a kcat -f template once into pieces; unknown tokens are a usage error, not silent text. */
export function template(spec: string): PageFormatter {
  const pieces: Piece[] = [];
  let literal = '';
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === '\\' && i + 1 < spec.length) {
      const e = spec[++i];
      literal += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '\\' ? '\\' : `\\${e}`;
      continue;
    }
    if (c !== '%') {
      literal += c;
      continue;
    }
    const t = spec[++i];
    if (t === '%') {
      literal += '%';
      continue;
    }
    const field: ((topic: string, r: FetchedRecordLike) => string) | undefined = {
      t: (topic: string) => topic,
      p: (_: string, r: FetchedRecordLike) => String(r.partition),
      o: (_: string, r: FetchedRecordLike) => String(r.offset),
      T: (_: string, r: FetchedRecordLike) => String(r.timestamp),
      k: (_: string, r: FetchedRecordLike) => text(r.key),
      s: (_: string, r: FetchedRecordLike) => text(r.value),
      K: (_: string, r: FetchedRecordLike) => String(length(r.key)),
      S: (_: string, r: FetchedRecordLike) => String(length(r.value)),
      h: (_: string, r: FetchedRecordLike) =>
        Object.entries(r.headers)
          .map(([k, v]) => `${k}=${v ?? ''}`)
          .join(','),
    }[t ?? ''];
    if (field === undefined) throw usageError(`--format: unknown token %${t ?? ''} at position ${i}`, 'tokens: %t %p %o %T %k %s %K %S %h %% (see spool consume --help)');
    if (literal !== '') pieces.push(literal);
    literal = '';
    pieces.push(field);
  }
  if (literal !== '') pieces.push(literal);
  return (topic, records, from, to) => {
    let out = '';
    for (let i = from; i < to; i++) {
      const r = records[i];
      for (const p of pieces) out += typeof p === 'string' ? p : p(topic, r);
    }
    return out;
  };
}

/** `-o table`: one readable line per record (partition/offset, time, key, value). */
export function humanLines(): PageFormatter {
  return (_topic, records, from, to) => {
    let out = '';
    for (let i = from; i < to; i++) {
      const r = records[i];
      out += `${r.partition}/${r.offset}  ${new Date(r.timestamp).toISOString()}  ${r.key === null ? '-' : text(r.key)}  ${text(r.value)}\n`;
    }
    return out;
  };
}
