/**
 * The SSE event id: the stream's position after the event, one `partition:nextOffset` pair per
 * partition delivered so far, comma-separated, partitions ascending ("0:42,1:17,3:0"). A browser
 * EventSource sends the last id it saw as Last-Event-ID when it reconnects, so the server resumes
 * every partition right after the last record the browser got: no gap, no duplicate.
 */
import { SpoolError } from '@spool/common';

export type Position = ReadonlyMap<number, number>;

/**
 * The ids of events that move `partition` only: `before + nextOffset + after`, the other
 * partitions' pairs joined once for a whole chunk of events of one partition.
 */
export function eventIdAround(position: Position, partition: number): { readonly before: string; readonly after: string } {
  const before: string[] = [];
  const after: string[] = [];
  for (const [p, offset] of [...position.entries()].sort((a, b) => a[0] - b[0])) {
    if (p < partition) before.push(`${p}:${offset}`);
    else if (p > partition) after.push(`${p}:${offset}`);
  }
  return { before: `${before.length > 0 ? before.join(',') + ',' : ''}${partition}:`, after: after.length > 0 ? ',' + after.join(',') : '' };
}

/** Parses a Last-Event-ID; INVALID_REQUEST if it is not one this server wrote. */
export function decodeEventId(id: string): Map<number, number> {
  const position = new Map<number, number>();
  if (id.trim() === '') return position;
  for (const pair of id.split(',')) {
    const m = /^(\d{1,10}):(\d{1,16})$/.exec(pair);
    if (m === null || !Number.isSafeInteger(Number(m[2]))) {
      throw new SpoolError('INVALID_REQUEST', `Last-Event-ID ${JSON.stringify(id.slice(0, 200))} is not a Spool event id (partition:offset pairs)`, { field: 'Last-Event-ID' });
    }
    position.set(Number(m[1]), Number(m[2]));
  }
  return position;
}
