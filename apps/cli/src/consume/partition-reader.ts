/**
 * Reads one partition with the SDK's long-poll fetch and hands each page to `onPage`, until the
 * partition's end (without --follow), the record budget, or an abort. The next fetch is sent as
 * soon as a page arrives, before the page is formatted and written, so the broker works on page
 * n+1 while the CLI prints page n.
 */
import { fetchRecords, type FetchResponse } from '../../../../sdk/src/index.js';
import type { BrokerApi } from '../api/broker-api.js';

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

/** Caps a page to what the handler still wants; returns false to stop reading. */
export type PageHandler = (page: FetchResponse) => Promise<boolean>;

export async function readPartition(api: BrokerApi, o: PartitionReadOptions, onPage: PageHandler): Promise<void> {
  // Our own stop (the handler wants no more) also cancels the prefetch in flight.
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  const waitMs = o.endOffset === undefined ? o.waitMs : 0;
  const fetchAt = (offset: number | undefined): Promise<FetchResponse> =>
    api.call(
      (base) =>
        fetchRecords({
          ...base,
          path: { topic: o.topic, partition: o.partition },
          query: {
            ...(offset !== undefined && { offset }),
            maxRecords: o.maxRecords,
            maxBytes: o.maxBytes,
            waitMs,
            ...(o.keyFormat !== undefined && { keyFormat: o.keyFormat }),
            ...(o.valueFormat !== undefined && { valueFormat: o.valueFormat }),
          },
        }),
      api.connection.timeoutMs + waitMs,
      signal,
    );
  if (o.endOffset !== undefined && o.startOffset !== undefined && o.startOffset >= o.endOffset) return;
  let pending: Promise<FetchResponse> | undefined = fetchAt(o.startOffset);
  try {
    while (pending !== undefined) {
      let page: FetchResponse;
      try {
        page = await pending;
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      const atEnd = o.endOffset !== undefined && page.nextOffset >= o.endOffset;
      // Prefetch before handling this page (pipelining). An empty page means caught up: when
      // following, the next fetch long-polls.
      pending = atEnd || signal.aborted ? undefined : fetchAt(page.nextOffset);
      pending?.catch(() => undefined); // awaited on the next turn; never unhandled meanwhile
      if (!(await onPage(page))) return;
    }
  } finally {
    stop.abort();
  }
}
