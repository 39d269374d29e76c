/**
 * The file side of a sparse index (offset-index.ts, time-index.ts). Node has no mmap, so an
 * index keeps its entries in typed arrays and this class appends their encoded bytes to the
 * file: the file always holds a prefix of the in-memory entries (`persistedEntries` of them),
 * never more. The owner (a LogSegment, under its log's append lock) is the only writer;
 * calls must not overlap.
 *
 * No file descriptor is held between calls: each write, truncation or fdatasync opens the file
 * and closes it after. Kafka keeps every index mmapped, but here an index is read once, at load,
 * and written rarely (a batch of entries per 4096, at roll, on truncation and on flush), so a
 * held descriptor would only count against RLIMIT_NOFILE: with two per segment, a broker with
 * 10,000 partitions needed 30,000 descriptors (EMFILE at the usual limits), now 10,000 (the
 * segments' log files). An fdatasync through a new descriptor flushes every dirty page of the
 * file, and Linux reports a write-back error not yet seen to the next descriptor that syncs.
 * Operations on one file run one at a time: a held descriptor survived a rename (retention renames
 * a segment `.deleted` while a flush may be syncing it), a path does not, so a rename waits for the
 * operation in flight and the next one opens the new name.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { datasync, openForWrite, renameFile, truncateFile, writeFully } from './storage-io.js';

export class IndexFile {
  private persistedEntries = 0;
  /** The tail of this file's operations (see the top: a rename never interleaves with an open). */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private filePath: string,
    private readonly entrySize: number,
  ) {}

  /**
   * Opens (creating it if absent) the index file at `filePath`; `truncate` empties it. Unless
   * truncated, its entries are read (`contents`) for the index to load.
   */
  static async open(filePath: string, entrySize: number, truncate: boolean): Promise<{ file: IndexFile; contents: Buffer }> {
    const flags = fsConstants.O_RDWR | fsConstants.O_CREAT | (truncate ? fsConstants.O_TRUNC : 0);
    const file = new IndexFile(filePath, entrySize);
    const handle = await openForWrite(filePath, flags, 0o644);
    try {
      const contents = truncate ? Buffer.alloc(0) : await file.readAll(handle);
      return { file, contents };
    } finally {
      await handle.close();
    }
  }

  get path(): string {
    return this.filePath;
  }

  /** The whole file, for loading. Records that these entries are persisted. */
  private async readAll(handle: FileHandle): Promise<Buffer> {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(buf, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    this.persistedEntries = Math.floor(read / this.entrySize);
    return buf.subarray(0, read);
  }

  /** Entries already in the file. */
  get persisted(): number {
    return this.persistedEntries;
  }

  /** Appends encoded entries `[persisted, persisted + n)`; `bytes` holds exactly n entries. */
  async appendEntries(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    await this.withHandle((handle) => writeFully(handle, bytes, this.persistedEntries * this.entrySize, this.filePath));
    this.persistedEntries += bytes.length / this.entrySize;
  }

  /** Cuts the file to `entries` entries (no-op for the in-memory side, which the index owns). */
  async truncateToEntries(entries: number): Promise<void> {
    await this.withHandle((handle) => truncateFile(handle, entries * this.entrySize, this.filePath));
    this.persistedEntries = Math.min(this.persistedEntries, entries);
  }

  async flush(): Promise<void> {
    await this.withHandle((handle) => datasync(handle, this.filePath));
  }

  async rename(newPath: string): Promise<void> {
    await this.serial(async () => {
      await renameFile(this.filePath, newPath);
      this.filePath = newPath;
    });
  }

  /** Nothing is held open between calls; kept for the owners' symmetry with the log file. */
  async close(): Promise<void> {}

  /** Unlinks the file; a missing file is fine. */
  async delete(): Promise<void> {
    await this.serial(() => fs.rm(this.filePath, { force: true }));
  }

  /**
   * Opens the file for one operation and closes it after. The file must exist (a vanished index
   * is an error, not silently recreated with a hole where its entries were).
   */
  private withHandle<T>(op: (handle: FileHandle) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      const handle = await openForWrite(this.filePath, fsConstants.O_RDWR);
      try {
        return await op(handle);
      } finally {
        await handle.close();
      }
    });
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
