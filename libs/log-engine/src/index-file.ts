/**
 * The file side of a sparse index (offset-index.ts, time-index.ts). Node has no mmap, so an
 * index keeps its entries in typed arrays and this class appends their encoded bytes to the
 * file: the file always holds a prefix of the in-memory entries (`persistedEntries` of them),
 * never more. The owner (a LogSegment, under its log's append lock) is the only writer;
 * calls must not overlap.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { datasync, openForWrite, renameFile, truncateFile, writeFully } from './storage-io.js';

export class IndexFile {
  private persistedEntries = 0;

  private constructor(
    private filePath: string,
    private readonly entrySize: number,
    private handle: FileHandle,
  ) {}

  /** Opens (creating it if absent) the index file at `filePath`; `truncate` empties it. */
  static async open(filePath: string, entrySize: number, truncate: boolean): Promise<IndexFile> {
    const flags = fsConstants.O_RDWR | fsConstants.O_CREAT | (truncate ? fsConstants.O_TRUNC : 0);
    const handle = await openForWrite(filePath, flags, 0o644);
    return new IndexFile(filePath, entrySize, handle);
  }

  get path(): string {
    return this.filePath;
  }

  /** The whole file, for loading. Records that these entries are persisted. */
  async readAll(): Promise<Buffer> {
    const { size } = await this.handle.stat();
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await this.handle.read(buf, read, size - read, read);
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
    await writeFully(this.handle, bytes, this.persistedEntries * this.entrySize, this.filePath);
    this.persistedEntries += bytes.length / this.entrySize;
  }

  /** Cuts the file to `entries` entries (no-op for the in-memory side, which the index owns). */
  async truncateToEntries(entries: number): Promise<void> {
    await truncateFile(this.handle, entries * this.entrySize, this.filePath);
    this.persistedEntries = Math.min(this.persistedEntries, entries);
  }

  async flush(): Promise<void> {
    await datasync(this.handle, this.filePath);
  }

  async rename(newPath: string): Promise<void> {
    await renameFile(this.filePath, newPath);
    this.filePath = newPath;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** Closes and unlinks the file; a missing file is fine. */
  async delete(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.filePath, { force: true });
  }
}
