/**
 * Reads one partition with the SDK's long-poll fetch and hands each page to `onPage`, until the
 * partition's end (without --follow), the record budget, or an abort. The next fetch is sent as
 * soon as a page arrives, before the page is formatted and written, so the broker works on page
 * n+1 while the CLI prints page n.
 *
 * Two page shapes: the JSON envelope, parsed into records (templates, tables, YAML, and any
 * reader that needs the fields), or NDJSON lines (`Accept: application/x-ndjson`): the bytes of
 * the CLI's own JSON-lines output, one record per line with its topic first, which the default
 * output writes as they came, with no parsing or re-serializing per record.
 */
import { fetchRecords, type FetchResponse } from '../../../../sdk/src/index.js';
import type { BrokerApi } from '../api/broker-api.js';
import { CliError } from '../cli.error.js';
import { ExitCode } from '../exit-codes.js';

export interface ReadFormats {
  readonly keyFormat?: 'auto' | 'json' | 'string' | 'binary';
  readonly valueFormat?: 'auto' | 'json' | 'string' | 'binary';
}

export interface PartitionReadOptions extends ReadFormats {
  readonly topic: string;
  readonly partition: number;
  /** First offset; undefined: the logStartOffset. */
  readonly startOffset: number | undefined;
  /** Stop once here (exclusive); undefined: follow forever. */
  readonly endOffset: number | undefined;
  /** Records per fetch. */
  readonly maxRecords: number;
  readonly maxBytes: number;
  /** Long-poll bound when following. */
  readonly waitMs: number;
  readonly signal: AbortSignal;
}

/** A page as NDJSON: `lines` records, each line ending in "\n". */
export interface LinesPage {
  readonly body: Buffer;
  readonly lines: number;
  readonly nextOffset: number;
  readonly highWatermark: number;
}

/** Caps a page to what the handler still wants; returns false to stop reading. */
export type PageHandler<P> = (page: P) => Promise<boolean>;

type Fetch<P> = (offset: number | undefined, signal: AbortSignal) => Promise<P>;

export function readPartition(api: BrokerApi, o: PartitionReadOptions, onPage: PageHandler<FetchResponse>): Promise<void> {
  return readPages(o, (offset, signal) => api.call((base) => fetchRecords({ ...base, path: pathOf(o), query: queryOf(o, offset) }), api.connection.timeoutMs + waitOf(o), signal), onPage);
}

export function readPartitionLines(api: BrokerApi, o: PartitionReadOptions, onPage: PageHandler<LinesPage>): Promise<void> {
  return readPages(
    o,
    async (offset, signal) => {
      let headers: Headers | undefined;
      const body = await api.call(
        async (base) => {
          const result = await fetchRecords({ ...base, path: pathOf(o), query: queryOf(o, offset), headers: { accept: 'application/x-ndjson' }, parseAs: 'arrayBuffer' });
          headers = result.response?.headers;
          return result as { data?: unknown; error?: unknown; response?: Response };
        },
        api.connection.timeoutMs + waitOf(o),
        signal,
      );
      const nextOffset = Number(headers?.get('spool-next-offset'));
      const highWatermark = Number(headers?.get('spool-high-watermark'));
      // A broker without NDJSON fetch answers with the JSON envelope and no such headers.
      if (!Number.isSafeInteger(nextOffset) || !Number.isSafeInteger(highWatermark) || !headers?.get('content-type')?.startsWith('application/x-ndjson')) {
        throw new CliError('the broker did not answer the fetch with NDJSON (a broker older than this CLI?)', ExitCode.ERROR, "print with a template instead, which reads the JSON pages: --format '%s\\n'", 'NDJSON_FETCH_UNSUPPORTED');
      }
      const bytes = Buffer.from(body as ArrayBuffer);
      return { body: bytes, lines: countLines(bytes), nextOffset, highWatermark };
    },
    onPage,
  );
}

/** Newlines in `buf` (native indexOf, not a loop over bytes). */
export function countLines(buf: Buffer, limit = Number.POSITIVE_INFINITY): number {
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0 && n < limit; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** The bytes of the first `n` lines of `buf`. */
export function firstLines(buf: Buffer, n: number): Buffer {
  let end = 0;
  for (let i = 0; i < n; i++) {
    const nl = buf.indexOf(10, end);
    if (nl < 0) return buf;
    end = nl + 1;
  }
  return buf.subarray(0, end);
}

/**
 * The lines of `body` whose records are below `endOffset`: for the last page of a partition that
 * was written to after the command took its end (rare, so these lines are parsed).
 */
export function linesBelow(body: Buffer, endOffset: number): { body: Buffer; lines: number } {
  const kept: Buffer[] = [];
  for (let start = 0, nl = body.indexOf(10); nl >= 0; start = nl + 1, nl = body.indexOf(10, start)) {
    const line = body.subarray(start, nl + 1);
    if ((JSON.parse(line.toString('utf8')) as { offset: number }).offset < endOffset) kept.push(line);
  }
  return { body: Buffer.concat(kept), lines: kept.length };
}

const pathOf = (o: PartitionReadOptions) => ({ topic: o.topic, partition: o.partition });
const waitOf = (o: PartitionReadOptions): number => (o.endOffset === undefined ? o.waitMs : 0);
const queryOf = (o: PartitionReadOptions, offset: number | undefined) => ({
  ...(offset !== undefined && { offset }),
  maxRecords: o.maxRecords,
  maxBytes: o.maxBytes,
  waitMs: waitOf(o),
  ...(o.keyFormat !== undefined && { keyFormat: o.keyFormat }),
  ...(o.valueFormat !== undefined && { valueFormat: o.valueFormat }),
});

async function readPages<P extends { readonly nextOffset: number }>(o: PartitionReadOptions, fetchAt: Fetch<P>, onPage: PageHandler<P>): Promise<void> {
  // Our own stop (the handler wants no more) also cancels the prefetch in flight.
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  if (o.endOffset !== undefined && o.startOffset !== undefined && o.startOffset >= o.endOffset) return;
  let pending: Promise<P> | undefined = fetchAt(o.startOffset, signal);
  try {
    while (pending !== undefined) {
      let page: P;
      try {
        page = await pending;
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      const atEnd = o.endOffset !== undefined && page.nextOffset >= o.endOffset;
      // Prefetch before handling this page (pipelining). An empty page means caught up: when
      // following, the next fetch long-polls.
      pending = atEnd || signal.aborted ? undefined : fetchAt(page.nextOffset, signal);
      pending?.catch(() => undefined); // awaited on the next turn; never unhandled meanwhile
      if (!(await onPage(page))) return;
    }
  } finally {
    stop.abort();
  }
}
