/**
 * Idempotency-Key memory for HTTP produce, kept across restarts. What is remembered, per topic and
 * key, is the request body's fingerprint, the topic's id and the answer (every record's partition
 * and offset, timestamp or error); docs/http-api.md states the contract:
 *
 * - a retry with the same key and body within `windowMs` gets the original answer and appends
 *   nothing; one that arrives while the original is in flight waits for it;
 * - the same key with another body: IDEMPOTENCY_KEY_REUSED (a client bug must not drop data);
 * - a request refused whole (it appended nothing) is not remembered;
 * - an entry of a topic that was deleted (and perhaps recreated: another topic id) is void.
 *
 * Durability: the entry is appended to `__idempotency_keys` (idempotency-keys.log.ts) after the
 * records and before the answer is sent, with the records' durability: fdatasync'ed when the
 * topic fdatasyncs its appends before acknowledging them (flush.messages=1), written to the page
 * cache otherwise. So a retry after any crash that kept the answer's records finds the entry; a
 * crash between the records' append and the entry's (the client got no answer) leaves records
 * that a retry appends again. An entry whose append fails (or that is larger than
 * `maxEntryBytes`) is kept in memory only, and the failure logged.
 *
 * Loading: `open()` replays the topic once (bootstrap calls it before readiness; `run` waits for
 * it otherwise), skipping entries past their window, of topics that no longer exist or have
 * another id, and any record that does not decode (logged, never fatal).
 *
 * Bounds: at most `maxKeys` entries and `maxBytes` of encoded entries in memory, oldest forgotten
 * first; on disk the topic's retention (time = window, size) bounds it.
 */
import { createHash } from 'node:crypto';
import type { Clock, Logger } from '@spool/common';
import { HttpApiError } from '../errors/http-api.error.js';
import type { ProduceResult } from '../../produce/produce.service.js';
import { decodeIdempotencyEntry, decodeIdempotencyKey, encodeIdempotencyEntry, encodeIdempotencyKey } from './idempotency-entry.codec.js';
import type { IdempotencyLog } from './idempotency-keys.log.js';

export interface IdempotencyStoreOptions {
  readonly log: IdempotencyLog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly maxBytes: number;
  /** The largest entry written to the topic (larger ones stay in memory only). */
  readonly maxEntryBytes: number;
  /** Results an entry may expand to on load (a corrupt record cannot allocate without bound). */
  readonly maxRecordsPerEntry: number;
}

interface Entry {
  readonly fingerprint: Buffer;
  /** When answered (in flight: when started); the window counts from here. */
  createdAtMs: number;
  /** The topic's id when answered; null while in flight. */
  topicId: string | null;
  /** The answer being produced and remembered; null once answered. */
  pending: Promise<ProduceResult[]> | null;
  /** The encoded entry once answered. */
  value: Buffer | null;
  readonly key: Buffer;
}

export class IdempotencyStore {
  // Map keeps insertion order: the first entries are the oldest.
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private opening: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: IdempotencyStoreOptions) {}

  /** SHA-256 of the body as parsed JSON, re-serialised: whitespace does not matter, member order does. */
  static fingerprint(body: unknown): Buffer {
    return createHash('sha256').update(JSON.stringify(body) ?? '').digest();
  }

  /** Loads the topic once; concurrent and later calls share the first. Rejects only if the topic cannot be opened or read. */
  open(): Promise<void> {
    this.opening ??= this.load().catch((err: unknown) => {
      this.opening = undefined; // the next request tries again
      throw err;
    });
    return this.opening;
  }

  /**
   * Runs `produce` once per (topic, key) within the window; later calls with the same key and
   * fingerprint get its result. Concurrent callers may call this freely. Resolves once the answer
   * is remembered (see the top of the file); rejects with what `produce` threw (not remembered),
   * or IDEMPOTENCY_KEY_REUSED.
   */
  async run(topic: string, key: string, fingerprint: Buffer, produce: () => Promise<ProduceResult[]>): Promise<{ result: ProduceResult[]; replayed: boolean }> {
    await this.open();
    const id = `${topic}\u0000${key}`;
    this.evictExpired(this.options.clock.now());
    const existing = this.current(id, topic);
    if (existing !== undefined) {
      if (!existing.fingerprint.equals(fingerprint)) {
        throw new HttpApiError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${JSON.stringify(key)} was used for a different request to topic ${JSON.stringify(topic)}`, {
          topic,
          idempotencyKey: key,
        });
      }
      const result = existing.pending !== null ? await existing.pending : decodeIdempotencyEntry(existing.value!, this.options.maxRecordsPerEntry).results;
      return { result, replayed: true };
    }
    const entry: Entry = { fingerprint, createdAtMs: this.options.clock.now(), topicId: null, pending: null, value: null, key: encodeIdempotencyKey(topic, key) };
    entry.pending = this.answer(id, topic, entry, produce);
    this.entries.set(id, entry);
    return { result: await entry.pending, replayed: false };
  }

  /** Forgets every key of a topic (deleted: its offsets no longer mean anything). Called on every topic deletion once open. */
  forgetTopic(topic: string): void {
    const prefix = `${topic}\u0000`;
    for (const id of [...this.entries.keys()]) if (id.startsWith(prefix)) this.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.unsubscribe?.();
  }

  /** The live entry for `id`, dropping it if its topic was deleted or recreated since. */
  private current(id: string, topic: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.topicId === null) return entry;
    if (this.options.log.topicState(topic)?.topicId === entry.topicId) return entry;
    this.delete(id);
    return undefined;
  }

  private async answer(id: string, topic: string, entry: Entry, produce: () => Promise<ProduceResult[]>): Promise<ProduceResult[]> {
    let results: ProduceResult[];
    try {
      results = await produce();
    } catch (err) {
      if (this.entries.get(id) === entry) this.delete(id);
      throw err;
    }
    const state = this.options.log.topicState(topic);
    entry.createdAtMs = this.options.clock.now();
    entry.topicId = state?.topicId ?? '';
    entry.value = encodeIdempotencyEntry({ createdAtMs: entry.createdAtMs, topicId: entry.topicId, fingerprint: entry.fingerprint, results });
    entry.pending = null;
    if (this.entries.get(id) === entry) {
      this.bytes += this.sizeOf(entry);
      this.enforceBounds();
    }
    await this.persist(topic, entry, state?.syncAppends ?? false);
    return results;
  }

  private async persist(topic: string, entry: Entry, sync: boolean): Promise<void> {
    const { log, logger, maxEntryBytes } = this.options;
    if (entry.value!.length > maxEntryBytes) {
      logger.warn({ topic, bytes: entry.value!.length, maxEntryBytes }, 'idempotency entry too large to persist; kept in memory only');
      return;
    }
    try {
      await log.append({ key: entry.key, value: entry.value!, timestampMs: entry.createdAtMs }, sync);
    } catch (err) {
      logger.error({ err, topic }, 'persisting an idempotency entry failed; kept in memory only');
    }
  }

  private async load(): Promise<void> {
    const { log, clock, logger, windowMs, maxRecordsPerEntry } = this.options;
    await log.open();
    const now = clock.now();
    let loaded = 0;
    let skipped = 0;
    for await (const record of log.replay()) {
      try {
        const { topic, idempotencyKey } = decodeIdempotencyKey(record.key);
        const decoded = decodeIdempotencyEntry(record.value, maxRecordsPerEntry);
        if (decoded.createdAtMs + windowMs <= now || log.topicState(topic)?.topicId !== decoded.topicId) continue;
        const id = `${topic}\u0000${idempotencyKey}`;
        this.delete(id); // a later entry for the same key (the earlier one's window had passed) replaces it, at the end
        const entry: Entry = { fingerprint: decoded.fingerprint, createdAtMs: decoded.createdAtMs, topicId: decoded.topicId, pending: null, value: record.value, key: record.key };
        this.entries.set(id, entry);
        this.bytes += this.sizeOf(entry);
        this.enforceBounds();
        loaded++;
      } catch (err) {
        skipped++;
        logger.warn({ err }, 'skipping an undecodable __idempotency_keys record');
      }
    }
    this.unsubscribe = log.onTopicDeleted((topic) => this.forgetTopic(topic));
    logger.info({ entries: this.entries.size, loaded, skipped }, 'loaded __idempotency_keys');
  }

  private sizeOf(entry: Entry): number {
    return entry.key.length + (entry.value?.length ?? 0);
  }

  private delete(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    if (entry.value !== null) this.bytes -= this.sizeOf(entry);
    this.entries.delete(id);
  }

  /** Oldest answered entries go first; entries in flight stay (their callers hold them anyway). */
  private enforceBounds(): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.options.maxKeys && this.bytes <= this.options.maxBytes) return;
      if (entry.pending === null) this.delete(id);
    }
  }

  private evictExpired(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.createdAtMs + this.options.windowMs > now) break; // insertion order ~ expiry order (one window for all)
      if (entry.pending === null) this.delete(id);
    }
  }
}
