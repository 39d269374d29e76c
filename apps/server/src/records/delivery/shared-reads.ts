/**
 * Shares reads and renders between the feeds of a partition. When many streams follow the same
 * partition (a thousand dashboards on one topic), every append would otherwise make each of them
 * read the same bytes and render the same records: N file reads on libuv's small thread pool and
 * N renders per append.
 *
 * - In flight: the first feed's read of (partition, offset, max bytes, rendering) runs, and feeds
 *   asking for the same while it is in flight share its promise.
 * - Recently read: the last few rendered reads of each (partition, rendering) stay available
 *   (at most RECENT_PER_PARTITION, and RECENT_MAX_BYTES across all partitions, oldest dropped
 *   first), and a feed whose offset falls inside one takes its records from there. This keeps
 *   feeds in step: while a thousand sockets are being written, appends go on, and feeds that ask
 *   for the same offset a few milliseconds apart would otherwise get reads ending at different
 *   offsets, drift apart and never share again (each then reads and renders alone).
 *
 * A cached read is a valid read, just an earlier one: its records are those the log held at that
 * offset, and the feed reads on from its end (or waits there for an append, which returns at once
 * if the log has grown since). Cached reads belong to one incarnation of the partition
 * (PartitionReader.incarnation): a topic deleted and re-created under the same name starts
 * afresh. A failure reaches every sharer of the read in flight, and each feed handles it as its
 * own (stops with an error), as it would have.
 *
 * One instance per PartitionReaders (a WeakMap), so two brokers in one process never share reads.
 */
import type { PartitionReader, PartitionReaders } from '../partition-reader.js';
import type { RecordRenderer } from '../record-renderer.js';
import { RenderedRecords } from '../rendered-records.js';
import { AppendWatches } from './append-watches.js';

export interface RenderedRead {
  /** Rendered records; shared between feeds: never mutate. */
  readonly records: RenderedRecords;
  /** Index of the first record at or after the requested offset (records.count when none). */
  readonly from: number;
  /** True when nothing was there to read (the feed should wait for an append). */
  readonly atLogEnd: boolean;
}

const RECENT_PER_PARTITION = 4;
const RECENT_MAX_BYTES = 32 * 1024 * 1024;

/** The recent reads of one (partition incarnation, rendering), oldest first. */
interface Recent {
  readonly chunks: RenderedRecords[];
}

/** Index of the first element of `offsets` >= `offset`. */
function lowerBound(offsets: Float64Array, offset: number): number {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offsets[mid] < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SharedReads {
  readonly waits = new AppendWatches();
  private readonly inFlight = new Map<string, Promise<RenderedRead>>();
  /** Per partition incarnation (a WeakMap: gone with it), per rendering. */
  private readonly recent = new WeakMap<object, Map<string, Recent>>();
  /** Every cached chunk with its owner, oldest first, for the byte bound. */
  private readonly lru = new Map<RenderedRecords, Recent>();
  private cachedBytes = 0;

  /** See AppendWatches.onAppend. */
  onAppend(reader: PartitionReader, offset: number, listener: () => void): () => void {
    return this.waits.onAppend(reader, offset, listener);
  }

  /** The records at `offset` from a recent read of the partition, or null (no read, no promise). */
  recentRead(reader: PartitionReader, offset: number, renderer: RecordRenderer): RenderedRead | null {
    const recent = this.recentOf(reader, renderer);
    for (let i = recent.chunks.length - 1; i >= 0; i--) {
      const chunk = recent.chunks[i];
      if (chunk.count > 0 && chunk.offsets[0] <= offset && offset < chunk.nextOffset) {
        return { records: chunk, from: lowerBound(chunk.offsets, offset), atLogEnd: false };
      }
    }
    return null;
  }

  /** Reads `maxBytes` (at least one batch) of the reader's partition at `offset` and renders it, or takes it from a recent read. */
  read(reader: PartitionReader, offset: number, maxBytes: number, renderer: RecordRenderer): Promise<RenderedRead> | RenderedRead {
    const cached = this.recentRead(reader, offset, renderer);
    if (cached !== null) return cached;
    const recent = this.recentOf(reader, renderer);
    const key = `${reader.topic}\u0000${reader.partition}\u0000${offset}\u0000${maxBytes}\u0000${renderer.key}`;
    const running = this.inFlight.get(key);
    if (running !== undefined) return running;
    const started = readAndRender(reader, offset, maxBytes, renderer);
    this.inFlight.set(key, started);
    const settle = (read?: RenderedRead): void => {
      this.inFlight.delete(key);
      if (read !== undefined && read.records.count > 0) this.remember(recent, read.records);
    };
    started.then(settle, () => settle());
    return started;
  }

  /** Reads in flight now (for tests). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Shared waits in progress now (for tests). */
  get watchCount(): number {
    return this.waits.size;
  }

  private recentOf(reader: PartitionReader, renderer: RecordRenderer): Recent {
    const incarnation = reader.incarnation();
    let byRendering = this.recent.get(incarnation);
    if (byRendering === undefined) {
      byRendering = new Map();
      this.recent.set(incarnation, byRendering);
    }
    let recent = byRendering.get(renderer.key);
    if (recent === undefined) {
      recent = { chunks: [] };
      byRendering.set(renderer.key, recent);
    }
    return recent;
  }

  private remember(recent: Recent, chunk: RenderedRecords): void {
    recent.chunks.push(chunk);
    this.lru.set(chunk, recent);
    this.cachedBytes += chunk.buf.length;
    if (recent.chunks.length > RECENT_PER_PARTITION) this.forget(recent.chunks[0]);
    for (const [oldest] of this.lru) {
      if (this.cachedBytes <= RECENT_MAX_BYTES) break;
      this.forget(oldest);
    }
  }

  private forget(chunk: RenderedRecords): void {
    const owner = this.lru.get(chunk);
    if (owner === undefined) return;
    this.lru.delete(chunk);
    this.cachedBytes -= chunk.buf.length;
    const i = owner.chunks.indexOf(chunk);
    if (i >= 0) owner.chunks.splice(i, 1);
  }
}

async function readAndRender(reader: PartitionReader, offset: number, maxBytes: number, renderer: RecordRenderer): Promise<RenderedRead> {
  const read = await reader.read(offset, maxBytes);
  if (read.batches.length === 0) return { records: RenderedRecords.empty(offset), from: 0, atLogEnd: true };
  return { records: renderer.render(read.batches, offset), from: 0, atLogEnd: false };
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
