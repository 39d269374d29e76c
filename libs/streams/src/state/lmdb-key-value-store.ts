/**
 * A task's store on disk: one LMDB environment per task and store, `<stateDir>/<appId>/<partition>/<store>`
 * (LMDB's `data.mdb` and `lock.mdb` inside). Keys and values are the store's bytes (store-keys.ts).
 *
 * Writes go to an in-memory overlay first (reads and scans see them at once) and reach LMDB in one
 * write transaction per `flush()`, which the task calls at every commit: a crash loses at most the
 * updates since the last commit, and those are not committed on the changelog either (exactly-once)
 * or are re-applied from the input (at-least-once). On start the runtime wipes the directory and
 * restores the store from its changelog, so LMDB never needs to agree with a changelog it has not seen.
 */
import { open, type RootDatabase } from 'lmdb';
import { mkdirSync, rmSync } from 'node:fs';
import type { KeyValueStore } from './key-value-store.js';

export class LmdbKeyValueStore implements KeyValueStore {
  private readonly dirty = new Map<string, [Buffer, Buffer | null]>();

  private constructor(
    readonly name: string,
    private readonly db: RootDatabase<Buffer, Buffer>,
  ) {}

  /** Opens an empty store in `dir` (anything there before is removed). */
  static openEmpty(name: string, dir: string): LmdbKeyValueStore {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const db = open<Buffer, Buffer>({ path: dir, keyEncoding: 'binary', encoding: 'binary', compression: false });
    return new LmdbKeyValueStore(name, db);
  }

  get(key: Buffer): Buffer | undefined {
    const pending = this.dirty.get(key.toString('latin1'));
    if (pending !== undefined) return pending[1] ?? undefined;
    return this.db.get(key) ?? undefined;
  }

  put(key: Buffer, value: Buffer | null): void {
    this.dirty.set(key.toString('latin1'), [Buffer.from(key), value]);
  }

  *prefixScan(prefix: Buffer): Iterable<[Buffer, Buffer]> {
    const merged = new Map<string, [Buffer, Buffer]>();
    const range = prefix.length === 0 ? this.db.getRange() : this.db.getRange({ start: prefix, end: prefixEnd(prefix) });
    for (const { key, value } of range) merged.set(key.toString('latin1'), [key, value]);
    for (const [id, [key, value]] of this.dirty) {
      if (key.length < prefix.length || !key.subarray(0, prefix.length).equals(prefix)) continue;
      if (value === null) merged.delete(id);
      else merged.set(id, [key, value]);
    }
    yield* [...merged.values()].sort((a, b) => Buffer.compare(a[0], b[0]));
  }

  approximateCount(): number {
    return this.db.getCount() + this.dirty.size;
  }

  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const entries = [...this.dirty.values()];
    this.dirty.clear();
    this.db.transactionSync(() => {
      for (const [key, value] of entries) {
        if (value === null) this.db.removeSync(key);
        else this.db.putSync(key, value);
      }
    });
  }

  async close(): Promise<void> {
    await this.flush();
    await this.db.close();
  }
}

/** The smallest key greater than every key starting with `prefix` (null: no such key, scan to the end). */
function prefixEnd(prefix: Buffer): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i] += 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}
