/**
 * Shared waits for appends. The caught-up feeds of a partition all wait for the append at the
 * same offset, so they register with one AppendWatch, which holds the partition's one wait (one
 * waiter and one timer in the log, however many feeds) and calls them back when it ends. A feed
 * that stops unregisters; the last one to leave ends the shared wait. Before this, an append to a
 * partition with 1,000 subscribers cleared and re-armed 1,000 timers.
 *
 * The feeds are woken through the delivery scheduler (delivery-scheduler.ts), a slice at a time:
 * waking 10,000 feeds at once would be 10,000 read continuations in one burst of microtasks, with
 * no produce request read meanwhile.
 */
import type { PartitionReader } from '../partition-reader.js';
import { deliveryScheduler, type DeliveryScheduler } from './delivery-scheduler.js';

/** Longest single shared wait for an append; feeds then read again (a safety net, not a poll). */
const APPEND_WAIT_MS = 300_000;

/** One partition's wait for an append at one offset. */
class AppendWatch {
  readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();

  constructor(reader: PartitionReader, offset: number, scheduler: DeliveryScheduler, done: () => void) {
    void reader.waitForAppend(offset, APPEND_WAIT_MS, this.abort.signal).then(() => {
      done();
      for (const listener of this.listeners) scheduler.enqueue(listener);
      this.listeners.clear();
    });
  }

  remove(listener: () => void): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.abort.abort();
  }
}

export class AppendWatches {
  private readonly watches = new Map<string, AppendWatch>();

  constructor(private readonly scheduler: DeliveryScheduler = deliveryScheduler) {}

  /**
   * Calls `listener` once records at or after `offset` can be read (or the shared wait timed out
   * or the log closed: the caller reads again either way). Returns the function that cancels it.
   */
  onAppend(reader: PartitionReader, offset: number, listener: () => void): () => void {
    const key = `${reader.topic}\u0000${reader.partition}\u0000${offset}`;
    let watch = this.watches.get(key);
    if (watch === undefined) {
      const created: AppendWatch = new AppendWatch(reader, offset, this.scheduler, () => {
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
  get size(): number {
    return this.watches.size;
  }
}
