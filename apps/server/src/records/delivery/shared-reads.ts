/**
 * Coalesces identical concurrent reads of partition feeds. When many streams follow the same
 * partition (a thousand dashboards on one topic), one append wakes all their feeds in the same
 * tick and each would read the same bytes and render the same records: N file reads on libuv's
 * small thread pool and N renders per append, which is where fan-out latency went (bench:ws,
 * docs/benchmarks.md). Here the first feed's read of (topic, partition, offset, max bytes,
 * rendering) runs, and feeds asking for the same while it is in flight share its promise and
 * its RenderedRecords (and, through RenderedRecords.frameFor, the frames built from them).
 *
 * Only in-flight reads are shared; nothing is kept once a read settles, so no feed ever sees a
 * result older than a read it could have issued itself when it asked (a read that started a
 * little earlier is a valid read: an empty result sends the feed to waitForAppend, which
 * returns at once if the log has grown since). A failure reaches every sharer, and each feed
 * handles it as its own (stops with an error), as it would have.
 *
 * Waits are shared the same way: the caught-up feeds of a partition all wait for the append at
 * the same offset, so they register with one AppendWatch, which holds the partition's one wait
 * (one waiter, one timer) and calls them back when it ends. A feed that stops unregisters; the
 * last one to leave ends the shared wait.
 *
 * One instance per PartitionReaders (a WeakMap), so two brokers in one process never share reads.
 */
import type { PartitionReader, PartitionReaders } from '../partition-reader.js';
import type { RecordRenderer } from '../record-renderer.js';
import { RenderedRecords } from '../rendered-records.js';

export interface RenderedRead {
  /** Records at or after the requested offset, in offset order; shared between feeds: never mutate. */
  readonly records: RenderedRecords;
  /** True when nothing was there to read (the feed should wait for an append). */
  readonly atLogEnd: boolean;
}

/** Longest single shared wait for an append; feeds then read again (a safety net, not a poll). */
const APPEND_WAIT_MS = 300_000;

/** One partition's wait for an append at one offset, shared by the feeds caught up there. */
class AppendWatch {
  readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();

  constructor(reader: PartitionReader, offset: number, done: () => void) {
    void reader.waitForAppend(offset, APPEND_WAIT_MS, this.abort.signal).then(() => {
      done();
      for (const listener of this.listeners) listener();
      this.listeners.clear();
    });
  }

  remove(listener: () => void): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.abort.abort();
  }
}

export class SharedReads {
  private readonly inFlight = new Map<string, Promise<RenderedRead>>();
  private readonly watches = new Map<string, AppendWatch>();

  /**
   * Calls `listener` once records at or after `offset` can be read (or the shared wait timed out
   * or the log closed: the caller reads again either way). Returns the function that cancels it.
   */
  onAppend(reader: PartitionReader, offset: number, listener: () => void): () => void {
    const key = `${reader.topic}\u0000${reader.partition}\u0000${offset}`;
    let watch = this.watches.get(key);
    if (watch === undefined) {
      const created: AppendWatch = new AppendWatch(reader, offset, () => {
        if (this.watches.get(key) === created) this.watches.delete(key);
      });
      this.watches.set(key, created);
      watch = created;
    }
    const registered = watch;
    registered.listeners.add(listener);
    return () => {
      registered.remove(listener);
      if (registered.listeners.size === 0 && this.watches.get(key) === registered) this.watches.delete(key);
    };
  }

  /** Shared waits in progress now (for tests). */
  get watchCount(): number {
    return this.watches.size;
  }

  /** Reads `maxBytes` (at least one batch) of the reader's partition at `offset` and renders it. */
  read(reader: PartitionReader, offset: number, maxBytes: number, renderer: RecordRenderer): Promise<RenderedRead> {
    const key = `${reader.topic}\u0000${reader.partition}\u0000${offset}\u0000${maxBytes}\u0000${renderer.key}`;
    const running = this.inFlight.get(key);
    if (running !== undefined) return running;
    const started = readAndRender(reader, offset, maxBytes, renderer);
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
}

async function readAndRender(reader: PartitionReader, offset: number, maxBytes: number, renderer: RecordRenderer): Promise<RenderedRead> {
  const read = await reader.read(offset, maxBytes);
  if (read.batches.length === 0) return { records: RenderedRecords.empty(offset), atLogEnd: true };
  return { records: renderer.render(read.batches, offset), atLogEnd: false };
}

const byReaders = new WeakMap<PartitionReaders, SharedReads>();

export function sharedReadsFor(readers: PartitionReaders): SharedReads {
  let shared = byReaders.get(readers);
  if (shared === undefined) {
    shared = new SharedReads();
    byReaders.set(readers, shared);
  }
  return shared;
}
