/**
 * The cleaner's key -> latest offset map, with a fixed memory budget (Kafka's SkimpyOffsetMap).
 *
 * Layout: one Buffer of `slots` entries, open addressing with linear probing:
 *
 *   entry = keyHash:16 bytes (MD5 of the key bytes) | offset:int64 BE (offset + 1; 0 = empty slot)
 *
 * Keys are stored only as their MD5, so memory per key is 24 bytes whatever the key length; two
 * keys with the same MD5 would be conflated (the chance is ~2^-128 per pair, which Kafka
 * accepts too). The map accepts at most `slots * loadFactor` keys so probes stay short; once it
 * is `full`, the cleaner stops building and cleans only up to the last offset it put (Kafka's
 * behaviour), leaving the rest of the dirty section for the next run.
 *
 * Not thread-safe; one cleaner owns one map and `clear()`s it between logs.
 */
import { createHash } from 'node:crypto';
import { SpoolError } from '@spool/common';

const HASH_SIZE = 16;
const ENTRY_SIZE = HASH_SIZE + 8;
const DEFAULT_LOAD_FACTOR = 0.9;

export class OffsetMap {
  readonly slots: number;
  /** Keys the map accepts before it reports `full`. */
  readonly capacity: number;
  private readonly table: Buffer;
  private readonly hash = Buffer.alloc(HASH_SIZE);
  private entries = 0;
  private lastOffset: number | undefined;

  /** `memoryBytes`: the budget (Kafka's log.cleaner.dedupe.buffer.size); at least 2 entries. */
  constructor(memoryBytes: number, loadFactor = DEFAULT_LOAD_FACTOR) {
    this.slots = Math.floor(memoryBytes / ENTRY_SIZE);
    this.capacity = Math.floor(this.slots * loadFactor);
    if (this.capacity < 1 || this.slots < 2 || !(loadFactor > 0 && loadFactor < 1)) {
      throw new SpoolError(
        'INVALID_CONFIG',
        `offset map of ${memoryBytes} bytes with load factor ${loadFactor} cannot hold one key (${ENTRY_SIZE} bytes per slot)`,
      );
    }
    this.table = Buffer.alloc(this.slots * ENTRY_SIZE);
  }

  get size(): number {
    return this.entries;
  }

  get full(): boolean {
    return this.entries >= this.capacity;
  }

  /** The offset of the last put, or undefined after clear(). */
  get latestOffset(): number | undefined {
    return this.lastOffset;
  }

  /**
   * Records `offset` as the latest for `key`. Returns false, changing nothing, when the key is
   * new and the map is full; offsets must be put in increasing order.
   */
  put(key: Uint8Array, offset: number): boolean {
    const slot = this.find(key);
    const at = slot * ENTRY_SIZE;
    const empty = this.table.readBigUInt64BE(at + HASH_SIZE) === 0n;
    if (empty) {
      if (this.full) return false;
      this.hash.copy(this.table, at);
      this.entries++;
    }
    this.table.writeBigUInt64BE(BigInt(offset + 1), at + HASH_SIZE);
    this.lastOffset = offset;
    return true;
  }

  /** The latest offset put for `key`, or undefined. */
  get(key: Uint8Array): number | undefined {
    const at = this.find(key) * ENTRY_SIZE;
    const stored = this.table.readBigUInt64BE(at + HASH_SIZE);
    return stored === 0n ? undefined : Number(stored) - 1;
  }

  clear(): void {
    this.table.fill(0);
    this.entries = 0;
    this.lastOffset = undefined;
  }

  /** Hashes `key` into this.hash and returns its slot: the matching one or the first empty one. */
  private find(key: Uint8Array): number {
    createHash('md5').update(key).digest().copy(this.hash);
    let slot = this.hash.readUInt32BE(0) % this.slots;
    for (;;) {
      const at = slot * ENTRY_SIZE;
      if (this.table.readBigUInt64BE(at + HASH_SIZE) === 0n) return slot;
      if (this.table.compare(this.hash, 0, HASH_SIZE, at, at + HASH_SIZE) === 0) return slot;
      slot = slot + 1 === this.slots ? 0 : slot + 1;
    }
  }
}
