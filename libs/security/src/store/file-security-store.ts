/**
 * SecurityStore on one local file, for a single node: `<dir>/security.log`, an append-only log of
 * writes, compacted by rewriting, on the pattern of a compacted internal topic (last record per key
 * wins, tombstones delete). Mode 0600 in a 0700 directory: it holds salted hashes and SCRAM keys.
 *
 * Format: UTF-8 text, one write per line:
 *
 *   <crc32 of the JSON, 8 lowercase hex digits> ' ' <JSON> '\n'
 *   JSON = {"rev": <revision, integer, +1 per write>,
 *           "ops": [{"k": <key>, "r": <SecurityRecord> | null (tombstone)}, ...]}
 *
 * A write is durable when its line is appended and fdatasync'ed; then listeners are called and
 * `write` resolves. A crash can leave a torn last line (no '\n', or a CRC mismatch on the last
 * line): open() truncates it away, losing only the write whose promise never resolved. A bad line
 * anywhere else is damage, not a crash: open() refuses with KAFKA_STORAGE_ERROR naming the file
 * and byte offset rather than silently dropping credentials or ACLs.
 *
 * Compaction: when the file is larger than compactMinBytes and four times the live data, the live
 * records are written to `security.log.compact` (one line, the current revision), fsynced, renamed
 * over security.log (atomic), and the directory fsynced. A leftover `.compact` file after a crash
 * is an unfinished rewrite and is deleted on open; security.log was never touched.
 *
 * One process per directory (the node that owns the data dir). Not for cluster mode, where the
 * records live in etcd.
 */
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '@spool/common';
import { silentLogger } from '@spool/common';
import { redactingLogger } from '../redact.js';
import { SecurityError } from '../security.error.js';
import { recordKey, type SecurityRecord } from './security-records.js';
import type { SecurityChange, SecurityChangeListener, SecurityMutation, SecuritySnapshot, SecurityStore } from './security-store.js';

export const SECURITY_LOG_FILE = 'security.log';
const COMPACT_SUFFIX = '.compact';
/** Refuse a line longer than this on load: no record comes near it. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface FileSecurityStoreOptions {
  readonly dir: string;
  readonly compactMinBytes?: number;
  readonly logger?: Logger;
}

interface LogLine {
  rev: number;
  ops: Array<{ k: string; r: SecurityRecord | null }>;
}

function storageError(message: string, details: Record<string, unknown>): SecurityError {
  return new SecurityError('KAFKA_STORAGE_ERROR', message, 'store-error', details);
}

function encodeLine(line: LogLine): Buffer {
  const json = JSON.stringify(line);
  const crc = crc32(json).toString(16).padStart(8, '0');
  return Buffer.from(`${crc} ${json}\n`, 'utf8');
}

export class FileSecurityStore implements SecurityStore {
  private readonly file: string;
  private readonly compactMinBytes: number;
  private readonly logger: Logger;
  private readonly records = new Map<string, SecurityRecord>();
  private readonly listeners = new Set<SecurityChangeListener>();
  private handle: FileHandle | null = null;
  private revision = 0;
  private fileBytes = 0;
  private liveBytes = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: FileSecurityStoreOptions) {
    this.file = path.join(options.dir, SECURITY_LOG_FILE);
    this.compactMinBytes = options.compactMinBytes ?? 1024 * 1024;
    this.logger = redactingLogger(options.logger ?? silentLogger).child({ component: 'security-store' });
  }

  async load(): Promise<SecuritySnapshot> {
    if (this.handle !== null) throw new Error('FileSecurityStore.load called twice');
    const dir = path.dirname(this.file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rm(this.file + COMPACT_SUFFIX, { force: true });
    this.handle = await open(this.file, 'a+', 0o600);
    const { size } = await this.handle.stat();
    const content = size === 0 ? Buffer.alloc(0) : await this.readAll(size);
    const validBytes = this.replay(content);
    if (validBytes < size) {
      this.logger.warn({ file: this.file, validBytes, size }, 'security store: truncating a torn last write left by a crash');
      await this.handle.truncate(validBytes);
      await this.handle.datasync();
    }
    this.fileBytes = validBytes;
    this.liveBytes = this.liveSize();
    return { revision: this.revision, records: new Map(this.records) };
  }

  write(mutations: readonly SecurityMutation[]): Promise<number> {
    const run = this.queue.then(() => this.writeNow(mutations));
    this.queue = run.catch(() => undefined);
    return run;
  }

  subscribe(listener: SecurityChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.handle?.close();
    this.handle = null;
  }

  private async readAll(size: number): Promise<Buffer> {
    const buffer = Buffer.alloc(size);
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await this.handle!.read(buffer, offset, size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return buffer.subarray(0, offset);
  }

  /** Applies every valid line; returns the byte length of the valid prefix. */
  private replay(content: Buffer): number {
    let offset = 0;
    while (offset < content.length) {
      const newline = content.indexOf(0x0a, offset);
      const end = newline < 0 ? content.length : newline;
      const isLast = newline < 0 || newline === content.length - 1;
      if (end - offset > MAX_LINE_BYTES) throw storageError(`${this.file}: line at byte ${offset} is longer than ${MAX_LINE_BYTES} bytes`, { file: this.file, offset });
      const parsed = newline < 0 ? null : this.parseLine(content.toString('utf8', offset, end));
      if (parsed === null) {
        if (isLast) return offset; // a torn final write: the crash case
        throw storageError(`${this.file}: corrupt record at byte ${offset} (CRC or JSON); refusing to start with partial security data`, { file: this.file, offset });
      }
      if (parsed.rev <= this.revision) throw storageError(`${this.file}: revision ${parsed.rev} at byte ${offset} does not follow ${this.revision}`, { file: this.file, offset });
      this.revision = parsed.rev;
      for (const op of parsed.ops) {
        if (op.r === null) this.records.delete(op.k);
        else this.records.set(op.k, op.r);
      }
      offset = end + 1;
    }
    return offset;
  }

  private parseLine(text: string): LogLine | null {
    if (text.length < 10 || text[8] !== ' ') return null;
    const json = text.slice(9);
    if (crc32(json).toString(16).padStart(8, '0') !== text.slice(0, 8)) return null;
    try {
      const line = JSON.parse(json) as LogLine;
      if (!Number.isSafeInteger(line.rev) || !Array.isArray(line.ops)) return null;
      for (const op of line.ops) {
        if (typeof op.k !== 'string' || (op.r !== null && (typeof op.r !== 'object' || typeof op.r.type !== 'string'))) return null;
      }
      return line;
    } catch {
      return null;
    }
  }

  private async writeNow(mutations: readonly SecurityMutation[]): Promise<number> {
    if (this.closed || this.handle === null) throw storageError('the security store is not open', { file: this.file });
    const changes: SecurityChange[] = [];
    const staged = new Map<string, SecurityRecord | null>();
    const current = (key: string) => (staged.has(key) ? staged.get(key)! : (this.records.get(key) ?? null));
    for (const m of mutations) {
      const key = m.op === 'put' ? recordKey(m.record) : m.key;
      const before = current(key);
      if (m.op === 'put') {
        if (m.ifAbsent && before !== null) throw new SecurityError('DUPLICATE_RESOURCE', `${key} already exists`, 'already-exists', { key });
        if (m.ifPresent && before === null) throw new SecurityError('RESOURCE_NOT_FOUND', `${key} does not exist`, 'not-found', { key });
        staged.set(key, m.record);
        changes.push({ key, before, after: m.record });
      } else {
        if (m.ifPresent && before === null) throw new SecurityError('RESOURCE_NOT_FOUND', `${key} does not exist`, 'not-found', { key });
        if (before === null) continue;
        staged.set(key, null);
        changes.push({ key, before, after: null });
      }
    }
    if (changes.length === 0) return this.revision;
    const revision = this.revision + 1;
    const line = encodeLine({ rev: revision, ops: changes.map((c) => ({ k: c.key, r: c.after })) });
    try {
      await this.handle.appendFile(line);
      await this.handle.datasync();
    } catch (err) {
      throw storageError(`${this.file}: write failed: ${(err as Error).message}`, { file: this.file });
    }
    this.revision = revision;
    this.fileBytes += line.length;
    for (const c of changes) {
      if (c.after === null) this.records.delete(c.key);
      else this.records.set(c.key, c.after);
    }
    this.notify(changes, revision);
    this.liveBytes = this.liveSize();
    if (this.fileBytes > this.compactMinBytes && this.fileBytes > 4 * this.liveBytes) await this.compact();
    return revision;
  }

  private notify(changes: readonly SecurityChange[], revision: number): void {
    for (const listener of this.listeners) {
      try {
        listener(changes, revision);
      } catch (err) {
        this.logger.error({ err }, 'security store: a change listener threw');
      }
    }
  }

  private liveSize(): number {
    let bytes = 0;
    for (const [k, r] of this.records) bytes += k.length + JSON.stringify(r).length + 16;
    return bytes;
  }

  private async compact(): Promise<void> {
    const temp = this.file + COMPACT_SUFFIX;
    const content = encodeLine({ rev: this.revision, ops: [...this.records].map(([k, r]) => ({ k, r })) });
    const out = await open(temp, 'w', 0o600);
    try {
      await out.writeFile(content);
      await out.sync();
    } finally {
      await out.close();
    }
    await this.handle!.close();
    await rename(temp, this.file);
    const dir = await open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.handle = await open(this.file, 'a+', 0o600);
    this.logger.info({ file: this.file, fromBytes: this.fileBytes, toBytes: content.length }, 'security store compacted');
    this.fileBytes = content.length;
  }
}
