/**
 * Idempotency-Key memory for produce: a retried request with the same key (per topic, within
 * `windowMs`) gets the original response and appends nothing. A retry that arrives while the
 * original is still in flight waits for it. The same key with a different body is refused with
 * IDEMPOTENCY_KEY_REUSED (so a client bug cannot silently drop data).
 *
 * Only answered requests are remembered: a request refused whole (4xx) appended nothing and may
 * be retried as new. Memory only, bounded by `maxKeys` (oldest forgotten first): a broker restart
 * forgets the keys, which docs/http-api.md states. TODO(#3): persist in an internal topic.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '@spool/common';
import { HttpApiError } from '../errors/http-api.error.js';

interface Entry<T> {
  readonly fingerprint: string;
  readonly expiresAt: number;
  readonly result: Promise<T>;
}

export class IdempotencyStore<T> {
  // Map keeps insertion order: the first entries are the oldest.
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  static fingerprint(body: unknown): string {
    return createHash('sha256').update(JSON.stringify(body) ?? '').digest('base64url');
  }

  /**
   * Runs `produce` once per (topic, key) within the window; later calls with the same key and
   * fingerprint share its result. Concurrent callers may call this freely.
   */
  async run(topic: string, key: string, fingerprint: string, produce: () => Promise<T>): Promise<{ result: T; replayed: boolean }> {
    const id = `${topic}\u0000${key}`;
    const now = this.clock.now();
    this.evictExpired(now);
    const existing = this.entries.get(id);
    if (existing !== undefined) {
      if (existing.fingerprint !== fingerprint) {
        throw new HttpApiError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${JSON.stringify(key)} was used for a different request to topic ${JSON.stringify(topic)}`, {
          topic,
          idempotencyKey: key,
        });
      }
      return { result: await existing.result, replayed: true };
    }
    const result = produce();
    this.entries.set(id, { fingerprint, expiresAt: now + this.windowMs, result });
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
    try {
      return { result: await result, replayed: false };
    } catch (err) {
      if (this.entries.get(id)?.result === result) this.entries.delete(id);
      throw err;
    }
  }

  /** Forgets every key of a topic (the topic was deleted: its offsets no longer mean anything). */
  forgetTopic(topic: string): void {
    const prefix = `${topic}\u0000`;
    for (const id of [...this.entries.keys()]) if (id.startsWith(prefix)) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  private evictExpired(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now) break; // insertion order = expiry order (one window for all)
      this.entries.delete(id);
    }
  }
}
