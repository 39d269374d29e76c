/**
 * Watches every key under a prefix from a given revision, and keeps watching across broken
 * streams and etcd restarts: it reopens the stream with backoff and resumes from the revision
 * after the last one it delivered, so no event is lost or repeated.
 *
 * Two things end a watch for good, and the owner must then re-read the prefix and start a new
 * watcher from the revision of that read:
 * - etcd compacted the history the watch needs (ErrCompacted: a broker that was cut off while
 *   others wrote and an operator or auto-compaction ran): `onCompacted`.
 * - `stop()`.
 *
 * A stream that stays silent is probed with a progress request every `progressIntervalMs` (etcd
 * 3.4's WatchProgressRequest); with no answer within the connection's request timeout after
 * that, the connection is reset and the watch reopened, so a half-open TCP connection does not
 * leave the cache silently stale.
 *
 * Revision bookkeeping follows etcd's Go client: after events, resume at the last event's mod
 * revision + 1; after a progress notification, at its header revision + 1 (etcd sends one only
 * when the watcher has delivered everything up to that revision).
 */
import type { Logger } from '@spool/common';
import type { IWatchResponse } from 'etcd3';
import { Backoff, sleep } from './backoff.js';
import { prefixEnd, type EtcdConnection, type EtcdKeyValue, type WatchStream } from './etcd-connection.js';

export type WatchEvent =
  | { readonly type: 'put'; readonly kv: EtcdKeyValue }
  | { readonly type: 'delete'; readonly key: string; readonly modRevision: number };

export interface WatchHandlers {
  /** Events of one watch response, in revision order. Called synchronously, one response at a time. */
  onEvents(events: readonly WatchEvent[]): void;
  /** Every event up to `revision` has been delivered. */
  onProgress(revision: number): void;
  /** The watch cannot resume: etcd's history before `compactRevision` is gone. The watcher has stopped. */
  onCompacted(compactRevision: number): void;
}

export interface PrefixWatcherOptions {
  readonly progressIntervalMs?: number;
}

export class PrefixWatcher {
  private nextRevision: number;
  private stream: WatchStream | null = null;
  private readonly abort = new AbortController();
  private lastHeardMs = Date.now();
  private probeTimer: NodeJS.Timeout | null = null;
  private readonly progressIntervalMs: number;
  private running: Promise<void> | null = null;
  /** Ends the current stream's wait (set while a stream is open). */
  private endStream: ((err: Error) => void) | null = null;

  constructor(
    private readonly conn: EtcdConnection,
    private readonly prefix: string,
    startRevision: number,
    private readonly handlers: WatchHandlers,
    private readonly logger: Logger,
    options: PrefixWatcherOptions = {},
  ) {
    this.nextRevision = startRevision;
    this.progressIntervalMs = options.progressIntervalMs ?? 5000;
  }

  /** The revision the watch resumes from. */
  get resumeRevision(): number {
    return this.nextRevision;
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.closeStream();
    if (this.probeTimer) clearInterval(this.probeTimer);
    await this.running;
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(100, 2000);
    this.probeTimer = setInterval(() => this.probe(), this.progressIntervalMs);
    while (!this.abort.signal.aborted) {
      const ended = await this.watchOnce(backoff);
      if (ended === 'compacted' || this.abort.signal.aborted) break;
      const delayMs = backoff.next();
      await sleep(delayMs, this.abort.signal);
    }
    if (this.probeTimer) clearInterval(this.probeTimer);
  }

  /** One stream's life: resolves when it breaks ('retry') or the history is gone ('compacted'). */
  private async watchOnce(backoff: Backoff): Promise<'retry' | 'compacted'> {
    let stream: WatchStream;
    try {
      stream = await this.conn.openWatch();
    } catch (err) {
      this.logger.warn({ err: this.conn.describeError('watch', err).message }, 'metadata watch could not open; retrying');
      return 'retry';
    }
    if (this.abort.signal.aborted) {
      stream.cancel();
      return 'retry';
    }
    this.stream = stream;
    this.lastHeardMs = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      // Removed when this stream ends: the controller lives as long as the watcher, and a listener
      // per broken stream (one every few seconds while etcd is out of reach) would pile up.
      const onAbort = (): void => finish('retry');
      const finish = (how: 'retry' | 'compacted', err?: unknown): void => {
        if (settled) return;
        settled = true;
        this.abort.signal.removeEventListener('abort', onAbort);
        if (err !== undefined && !this.abort.signal.aborted) {
          this.logger.warn({ err: this.conn.describeError('watch', err).message, resumeRevision: this.nextRevision }, 'metadata watch broke; resuming');
        }
        if (this.stream === stream) this.closeStream();
        this.endStream = null;
        resolve(how);
      };
      this.endStream = (err) => finish('retry', err);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
      stream.on('error', (err) => finish('retry', err));
      stream.on('end', () => finish('retry', new Error('watch stream ended')));
      stream.on('data', (res: IWatchResponse) => {
        if (settled) return;
        this.lastHeardMs = Date.now();
        const compactRevision = Number(res.compact_revision);
        if (res.canceled) {
          if (compactRevision > 0) {
            this.logger.warn({ resumeRevision: this.nextRevision, compactRevision }, 'metadata watch fell behind a compaction; re-reading');
            finish('compacted');
            this.handlers.onCompacted(compactRevision);
          } else {
            finish('retry', new Error(`watch canceled by etcd: ${res.cancel_reason || 'no reason given'}`));
          }
          return;
        }
        if (res.created) {
          backoff.reset();
          return;
        }
        if (res.events.length > 0) {
          const events = res.events.map(toWatchEvent);
          this.nextRevision = Math.max(this.nextRevision, eventRevision(events[events.length - 1]!) + 1);
          this.handlers.onEvents(events);
        } else {
          const revision = Number(res.header.revision);
          if (revision + 1 > this.nextRevision) {
            this.nextRevision = revision + 1;
            this.handlers.onProgress(revision);
          }
        }
      });
      stream.write({ create_request: { key: Buffer.from(this.prefix), range_end: prefixEnd(this.prefix), start_revision: this.nextRevision } });
    });
  }

  /** Asks for a progress notification; resets a connection that stopped answering. */
  private probe(): void {
    const stream = this.stream;
    if (stream === null || this.abort.signal.aborted) return;
    const silentMs = Date.now() - this.lastHeardMs;
    if (silentMs > this.progressIntervalMs + this.conn.requestTimeoutMs) {
      this.logger.warn({ silentMs }, 'metadata watch stream silent; resetting the etcd connection');
      this.endStream?.(new Error(`no answer from etcd for ${silentMs} ms`));
      this.conn.reset();
      return;
    }
    try {
      stream.write({ progress_request: {} });
    } catch {
      // the stream's error handler reconnects
    }
  }

  private closeStream(): void {
    const stream = this.stream;
    this.stream = null;
    if (stream) {
      try {
        stream.cancel();
      } catch {
        // already gone
      }
    }
  }
}

function eventRevision(event: WatchEvent): number {
  return event.type === 'put' ? event.kv.modRevision : event.modRevision;
}

function toWatchEvent(ev: IWatchResponse['events'][number]): WatchEvent {
  const key = ev.kv.key.toString('utf8');
  if (ev.type === 'Delete') return { type: 'delete', key, modRevision: Number(ev.kv.mod_revision) };
  return {
    type: 'put',
    kv: {
      key,
      value: ev.kv.value.toString('utf8'),
      createRevision: Number(ev.kv.create_revision),
      modRevision: Number(ev.kv.mod_revision),
      version: Number(ev.kv.version),
      lease: ev.kv.lease,
    },
  };
}
