/**
 * Every broker's copy of the cluster metadata, kept current by one etcd watch on the cluster
 * root (Kafka's MetadataCache fed by the metadata log; in ZooKeeper days, by watches).
 *
 * - `start()` reads every key at one revision R, then watches from R + 1.
 * - Each watch response is applied to the view whole (a transaction's keys together), then its
 *   events go to the listeners in etcd's order.
 * - A watch that fell behind a compaction re-reads everything, delivers the differences as
 *   events followed by `resynced`, and watches on from the new read: listeners never miss a
 *   topic deletion or a leader change, though they may see a change summarised.
 * - A broken stream (etcd restarted, connection lost) resumes from the next revision.
 *
 * Reads are synchronous and may lag etcd by the watch latency; code that just wrote at revision
 * W and wants to read its own write awaits `catchUp(W)` (or `waitForRevision(W)`, which only
 * waits). Writers never trust the cache for correctness: every write is a compare-and-swap on
 * etcd's revisions.
 *
 * `catchUp` exists because a watch can be behind for a while without being broken: its stream
 * dropped and is reconnecting with backoff, or it went silent and the progress probe has not
 * noticed yet (up to the probe interval plus a request timeout). An admin request must not answer
 * "created" and then have this broker's next metadata read say "unknown topic", so a writer whose
 * revision the watch has not delivered within a request timeout makes the cache re-read
 * everything (the same path as after a compaction) and watch on from that read.
 */
import { silentLogger, type Logger } from '@spool/common';
import { sleep } from './etcd/backoff.js';
import type { EtcdConnection } from './etcd/etcd-connection.js';
import { PrefixWatcher, type WatchEvent } from './etcd/prefix-watcher.js';
import type { ClusterKeys } from './metadata-codec.js';
import { MetadataImage, type MetadataView } from './metadata-image.js';
import type { MetadataEvent, MetadataListener } from './metadata-types.js';

export interface MetadataCacheOptions {
  /** How often a silent watch is probed (etcd progress request). Default 5000 ms. */
  readonly watchProgressIntervalMs?: number;
  readonly logger?: Logger;
}

export class MetadataCache {
  private image: MetadataImage;
  private watcher: PrefixWatcher | null = null;
  private readonly listeners = new Set<MetadataListener>();
  private readonly waiters = new Set<{ revision: number; resolve: (reached: boolean) => void }>();
  private readonly abort = new AbortController();
  private readonly logger: Logger;
  private resyncing: Promise<void> | null = null;

  constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: ClusterKeys,
    private readonly options: MetadataCacheOptions = {},
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'metadata-cache' });
    this.image = new MetadataImage(keys, this.logger);
  }

  /** The current view (replaced, not mutated in place, after a resync: read it through here). */
  get view(): MetadataView {
    return this.image;
  }

  get revision(): number {
    return this.image.revision;
  }

  /** Reads everything and starts watching; retries while etcd is unreachable. */
  async start(): Promise<void> {
    await this.load();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.watcher?.stop();
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters.clear();
  }

  /**
   * Registers a listener for every event from now on; returns the unsubscribe function. A
   * listener runs synchronously in the watch callback: it must not block (start async work and
   * return). A listener that throws is logged; the others still run.
   */
  subscribe(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves true once the view reflects `revision` (or later); false after `timeoutMs` or stop. */
  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.image.revision >= revision) return Promise.resolve(true);
    if (this.abort.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        revision,
        resolve: (reached: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.resolve(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /**
   * Resolves true once the view reflects `revision`. Waits for the watch for `watchGraceMs`
   * (default: the connection's request timeout); if it has not delivered `revision` by then,
   * re-reads everything and watches on from that read (see the top of the file), then waits for
   * what is left of `timeoutMs`. False when the view still lags at `timeoutMs` (etcd unreachable
   * from this broker) or the cache stopped.
   */
  async catchUp(revision: number, timeoutMs: number, watchGraceMs = this.conn.requestTimeoutMs): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    if (await this.waitForRevision(revision, Math.min(watchGraceMs, timeoutMs))) return true;
    if (this.abort.signal.aborted) return false;
    this.logger.warn({ revision, viewRevision: this.image.revision, watchGraceMs }, 'metadata watch has not delivered a write of this broker; re-reading the cluster metadata');
    this.resync();
    return this.waitForRevision(revision, Math.max(0, deadline - Date.now()));
  }

  private async load(): Promise<void> {
    const { kvs, revision } = await this.conn.retryUntilAvailable('reading cluster metadata', () => this.conn.range(this.keys.root), this.abort.signal);
    if (this.abort.signal.aborted) return;
    const next = MetadataImage.load(this.keys, kvs, revision, this.logger);
    const events = this.image.revision === 0 ? [] : this.image.diff(next);
    this.image = next;
    this.emit([...events, { kind: 'resynced', revision }]);
    this.reached(revision);
    this.watcher = new PrefixWatcher(
      this.conn,
      this.keys.root,
      revision + 1,
      {
        onEvents: (batch) => this.apply(batch),
        onProgress: (rev) => this.progress(rev),
        onCompacted: () => this.resync(),
      },
      this.logger,
      { progressIntervalMs: this.options.watchProgressIntervalMs ?? 5000 },
    );
    this.watcher.start();
  }

  private apply(batch: readonly WatchEvent[]): void {
    const events: MetadataEvent[] = [];
    let revision = this.image.revision;
    for (const event of batch) {
      revision = event.type === 'put' ? event.kv.modRevision : event.modRevision;
      const made = event.type === 'put' ? this.image.put(event.kv, revision) : this.image.delete(event.key, revision);
      if (made) events.push(made);
    }
    this.image.revision = Math.max(this.image.revision, revision);
    this.emit(events);
    this.reached(this.image.revision);
  }

  private progress(revision: number): void {
    if (revision <= this.image.revision) return;
    this.image.revision = revision;
    this.reached(revision);
  }

  private resync(): void {
    this.resyncing ??= (async () => {
      await this.watcher?.stop();
      this.watcher = null;
      while (!this.abort.signal.aborted) {
        try {
          await this.load();
          break;
        } catch (err) {
          this.logger.error({ err }, 'cluster metadata re-read failed; retrying');
          await sleep(1000, this.abort.signal);
        }
      }
    })().finally(() => (this.resyncing = null));
  }

  private emit(events: readonly MetadataEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (err) {
          this.logger.error({ err, event: event.kind }, 'cluster metadata listener failed');
        }
      }
    }
  }

  private reached(revision: number): void {
    for (const waiter of [...this.waiters]) if (waiter.revision <= revision) waiter.resolve(true);
  }
}
