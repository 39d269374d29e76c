/**
 * One page of a partition for a request/response face (HTTP fetch today, the console later):
 * read whole batches at `offset`, and when there is nothing there yet and `waitMs` > 0, wait for
 * an append (woken by the append itself: no polling, no timer but the wait's own timeout) and
 * read once more; then render at most `maxRecords` records. Records already rendered once are not
 * parsed again: the page is RenderedRecords, which the face wraps in its own envelope.
 */
import type { PartitionReader } from './partition-reader.js';
import type { RecordRenderer } from './record-renderer.js';
import type { RenderedRecords } from './rendered-records.js';

export interface FetchPageParams {
  /** First offset to return; logStartOffset when undefined. */
  readonly offset: number | undefined;
  readonly maxRecords: number;
  /** Soft limit of the read: at least one whole batch is read. */
  readonly maxBytes: number;
  /** Long-poll: how long to wait for an append when nothing is at `offset` (0: answer at once). */
  readonly waitMs: number;
}

export interface FetchedPage {
  readonly records: RenderedRecords;
  /** Offset to fetch next. */
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

/** `stop` ends a long-poll early (client gone, shutdown): the page then holds what there is. */
export async function fetchPage(reader: PartitionReader, renderer: RecordRenderer, params: FetchPageParams, stop: AbortSignal): Promise<FetchedPage> {
  const offset = params.offset ?? reader.logStartOffset();
  let read = await reader.read(offset, params.maxBytes);
  if (read.batches.length === 0 && params.waitMs > 0 && !stop.aborted) {
    await reader.waitForAppend(offset, params.waitMs, stop);
    read = await reader.read(offset, params.maxBytes);
  }
  const records = renderer.render(read.batches, offset, params.maxRecords);
  return { records, nextOffset: Math.max(offset, records.nextOffset), highWatermark: reader.highWatermark(), logStartOffset: reader.logStartOffset() };
}
