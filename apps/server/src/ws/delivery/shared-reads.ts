/**
 * Coalesces identical concurrent reads of partition feeds. When many streams follow the same
 * partition (a thousand dashboards on one topic), one append wakes all their feeds in the same
 * tick and each would read the same bytes from the log and decode and render the same records:
 * N file reads on libuv's small thread pool and N renders per append, which is where fan-out
 * latency went (bench:ws, docs/benchmarks.md). Here the first feed's read of (topic, partition,
 * offset, max bytes, format) runs, and feeds asking for the same while it is in flight share
 * its promise and its rendered records.
 *
 * Only in-flight reads are shared; nothing is kept once a read settles, so no feed ever sees a
 * result older than a read it could have issued itself when it asked (a read that started a
 * little earlier is a valid read: an empty result sends the feed to Log.waitForAppend, which
 * returns at once if the log has grown since). A failure reaches every sharer, and each feed
 * handles it as its own (stops with an error frame), as it would have.
 *
 * One instance per LogManager (a WeakMap), so two brokers in one process never share reads.
 */
import type { LogManager } from '@spool/log-engine';

/** A record rendered as the JSON text of `{ offset, timestamp, key, value, headers }`. */
export interface RenderedRecord {
  readonly offset: number;
  readonly json: string;
  /** UTF-8 length of `json`: what the record costs against byte credit. */
  readonly bytes: number;
}

export interface RenderedRead {
  /** Records at or after the requested offset, in offset order; shared between feeds: never mutate. */
  readonly records: readonly RenderedRecord[];
  /** Next offset to read after this result (the requested offset when the log had nothing there). */
  readonly nextOffset: number;
  /** True when the log had no batch at the offset (the feed should wait for an append). */
  readonly atLogEnd: boolean;
}

export type RenderBatches = (batches: Buffer, from: number) => RenderedRecord[];

export class SharedReads {
  private readonly inFlight = new Map<string, Promise<RenderedRead>>();

  constructor(private readonly logs: LogManager) {}

  /**
   * Reads `maxBytes` (at least one batch) of `topic`-`partition` at `offset` and renders its
   * records with `render`; `renderKey` names the rendering (the record format), so only reads
   * that would render alike are shared.
   */
  read(topic: string, partition: number, offset: number, maxBytes: number, renderKey: string, render: RenderBatches): Promise<RenderedRead> {
    const key = `${topic}\u0000${partition}\u0000${offset}\u0000${maxBytes}\u0000${renderKey}`;
    const running = this.inFlight.get(key);
    if (running !== undefined) return running;
    const started = this.readAndRender(topic, partition, offset, maxBytes, render);
    this.inFlight.set(key, started);
    const forget = (): void => {
      this.inFlight.delete(key);
    };
    started.then(forget, forget);
    return started;
  }

  /** Reads in flight now (for tests). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private async readAndRender(topic: string, partition: number, offset: number, maxBytes: number, render: RenderBatches): Promise<RenderedRead> {
    const result = await this.logs.getLog(topic, partition).read(offset, maxBytes);
    if (result.records.length === 0) return { records: [], nextOffset: offset, atLogEnd: true };
    return { records: render(result.records, offset), nextOffset: Math.max(offset, result.nextOffset), atLogEnd: false };
  }
}

const byLogManager = new WeakMap<LogManager, SharedReads>();

export function sharedReadsFor(logs: LogManager): SharedReads {
  let shared = byLogManager.get(logs);
  if (shared === undefined) {
    shared = new SharedReads(logs);
    byLogManager.set(logs, shared);
  }
  return shared;
}
