/**
 * A task's state store: bytes to bytes, ordered by key bytes (Buffer.compare), as LMDB orders them.
 * Calls are synchronous: a task processes one record at a time and reads its stores on every record.
 *
 * Contract: a `put` is visible to the next `get` and `prefixScan` of the same store at once; it is
 * durable locally only after `flush()` resolves (the task flushes at every commit, after the
 * changelog records of the same puts were acknowledged by the brokers).
 */
export interface KeyValueStore {
  readonly name: string;
  get(key: Buffer): Buffer | undefined;
  /** A null value deletes the key. */
  put(key: Buffer, value: Buffer | null): void;
  /** Entries whose key starts with `prefix` (all entries for an empty prefix), in key order. */
  prefixScan(prefix: Buffer): Iterable<[Buffer, Buffer]>;
  /** Number of live entries (for restore progress and tests). */
  approximateCount(): number;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Makes the stores of one task; `partition` is the task's partition. */
export type StoreFactory = (storeName: string, partition: number) => Promise<KeyValueStore> | KeyValueStore;

/** A store held in memory only (the topology test driver's, and the runtime's when no state dir is set). */
export class InMemoryKeyValueStore implements KeyValueStore {
  private readonly entries = new Map<string, [Buffer, Buffer]>();

  constructor(readonly name: string) {}

  get(key: Buffer): Buffer | undefined {
    return this.entries.get(key.toString('latin1'))?.[1];
  }

  put(key: Buffer, value: Buffer | null): void {
    const id = key.toString('latin1');
    if (value === null) this.entries.delete(id);
    else this.entries.set(id, [Buffer.from(key), value]);
  }

  *prefixScan(prefix: Buffer): Iterable<[Buffer, Buffer]> {
    const matches: [Buffer, Buffer][] = [];
    for (const entry of this.entries.values()) {
      if (entry[0].length >= prefix.length && entry[0].subarray(0, prefix.length).equals(prefix)) matches.push(entry);
    }
    matches.sort((a, b) => Buffer.compare(a[0], b[0]));
    yield* matches;
  }

  approximateCount(): number {
    return this.entries.size;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
