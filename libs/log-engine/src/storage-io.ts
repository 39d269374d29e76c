/**
 * The log engine's file operations that a full, failing or read-only disk makes fail: opening
 * for writing, writing, fdatasync, truncation, rename. Segments, indexes and checkpoint files
 * call them here rather than on the FileHandle, for two reasons:
 *
 * - Fault injection. `storageFaults` (tests only switch it on; with no fault injected each call
 *   costs one comparison) makes matching operations fail with ENOSPC, EIO or EROFS, as the
 *   kernel would: a write hit by ENOSPC first writes half its bytes (a short write, then the
 *   error), so the callers' clean-up of partial writes is exercised too.
 * - fsync failures are told apart: an fdatasync that fails throws FsyncFailedError. After a failed
 *   fsync the kernel may have dropped the dirty pages it could not write and report the next
 *   fsync as a success (the PostgreSQL fsync lesson, 2018): the log that saw it never trusts
 *   its files again in this process (log-storage-state.ts).
 */
import { constants as fsConstants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export type StorageOp = 'open' | 'write' | 'fsync' | 'truncate' | 'rename';
export type StorageErrno = 'ENOSPC' | 'EIO' | 'EROFS';

export interface StorageFault {
  readonly errno: StorageErrno;
  /** The operations that fail (default: every one). */
  readonly ops?: readonly StorageOp[];
  /** Only paths containing this string (a partition directory, a file name). */
  readonly pathIncludes?: string;
  /** Fails this many matching calls, then is removed (default: until removed). */
  readonly times?: number;
}

const MESSAGES: Record<StorageErrno, string> = { ENOSPC: 'no space left on device', EIO: 'i/o error', EROFS: 'read-only file system' };

/** The faults in force; process-wide, because the files are. */
export class StorageFaults {
  private faults: { fault: StorageFault; left: number }[] = [];

  /** Adds a fault; returns the function that removes it. */
  inject(fault: StorageFault): () => void {
    const entry = { fault, left: fault.times ?? Infinity };
    this.faults.push(entry);
    return () => {
      this.faults = this.faults.filter((f) => f !== entry);
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** Throws the error of the first fault matching `op` on `file`, as the system call would. */
  check(op: StorageOp, file: string): void {
    if (this.faults.length === 0) return;
    const entry = this.faults.find(({ fault }) => (fault.ops === undefined || fault.ops.includes(op)) && (fault.pathIncludes === undefined || file.includes(fault.pathIncludes)));
    if (entry === undefined) return;
    if (--entry.left <= 0) this.faults = this.faults.filter((f) => f !== entry);
    const errno = entry.fault.errno;
    throw Object.assign(new Error(`${errno}: ${MESSAGES[errno]}, ${op} '${file}' (injected)`), { code: errno, syscall: op, path: file });
  }
}

export const storageFaults = new StorageFaults();

/** An fdatasync (or fsync) failed: what was written since the last successful one may be lost. */
export class FsyncFailedError extends Error {
  readonly code: string | undefined;

  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`fsync of ${file} failed: ${(cause as Error).message}`, { cause });
    this.name = 'FsyncFailedError';
    this.code = (cause as { code?: string }).code;
  }
}

/** True for an FsyncFailedError, also when wrapped as another error's `cause`. */
export function isFsyncFailure(err: unknown): boolean {
  for (let e = err; e !== undefined && e !== null; e = (e as { cause?: unknown }).cause) {
    if (e instanceof FsyncFailedError) return true;
  }
  return false;
}

/** fs.open for a file the engine writes (O_CREAT or O_RDWR), checked against the faults. */
export async function openForWrite(file: string, flags: number | string, mode?: number): Promise<FileHandle> {
  const creates = typeof flags === 'string' ? flags !== 'r' : (flags & (fsConstants.O_CREAT | fsConstants.O_TRUNC)) !== 0;
  if (creates) storageFaults.check('open', file);
  return fs.open(file, flags, mode);
}

export async function datasync(handle: FileHandle, file: string): Promise<void> {
  try {
    storageFaults.check('fsync', file);
    await handle.datasync();
  } catch (err) {
    throw new FsyncFailedError(file, err);
  }
}

/** fsync (data and metadata): checkpoint files and directories. */
export async function fsyncHandle(handle: FileHandle, file: string): Promise<void> {
  try {
    storageFaults.check('fsync', file);
    await handle.sync();
  } catch (err) {
    throw new FsyncFailedError(file, err);
  }
}

export async function truncateFile(handle: FileHandle, size: number, file: string): Promise<void> {
  storageFaults.check('truncate', file);
  await handle.truncate(size);
}

export async function renameFile(from: string, to: string): Promise<void> {
  storageFaults.check('rename', from);
  await fs.rename(from, to);
}

/** Name of the probe file of a recovery check (`.tmp`: the loader removes one left behind by a crash). */
export const PROBE_FILE = 'storage-probe.tmp';

/**
 * Free space a recovery check asks for besides a successful probe: one batch of Kafka's default
 * message.max.bytes. On a full disk the failed append is cut back off its segment, which frees a
 * little space, often enough for the probe's few bytes but not for the next append: without this
 * the log came back online and went offline again at every append that did not fit (seen on a
 * real tmpfs, apps/server/test/tmpfs-enospc.e2e-spec.ts).
 */
export const RECOVERY_MIN_FREE_BYTES = 1_048_588;

/**
 * Throws unless the directory takes writes now: a probe file written, fsynced and removed, and at
 * least RECOVERY_MIN_FREE_BYTES free for an unprivileged writer (statfs bavail).
 */
export async function probeWritable(dir: string): Promise<void> {
  const { bavail, bsize } = await fs.statfs(dir);
  if (bavail * bsize < RECOVERY_MIN_FREE_BYTES) {
    throw Object.assign(new Error(`ENOSPC: ${bavail * bsize} bytes free in ${dir}, a recovery check needs ${RECOVERY_MIN_FREE_BYTES}`), { code: 'ENOSPC' });
  }
  const file = path.join(dir, PROBE_FILE);
  const handle = await openForWrite(file, 'w');
  try {
    await writeFully(handle, Buffer.from('probe\n'), 0, file);
    await datasync(handle, file);
  } finally {
    await handle.close();
    await fs.rm(file, { force: true });
  }
}

/** Writes all of `buf` at `position`, resuming after a short write. */
export async function writeFully(handle: FileHandle, buf: Buffer, position: number, file: string): Promise<void> {
  await injectedShortWrite(handle, buf, position, file);
  let written = 0;
  while (written < buf.length) {
    const { bytesWritten } = await handle.write(buf, written, buf.length - written, position + written);
    written += bytesWritten;
  }
}

/** Writes `bufs` back to back from `position`, resuming after a short write. */
export async function writevFully(handle: FileHandle, bufs: readonly Buffer[], position: number, total: number, file: string): Promise<void> {
  await injectedShortWrite(handle, bufs[0], position, file);
  let { bytesWritten: written } = await handle.writev(bufs as Buffer[], position);
  while (written < total) {
    const rest = remainingAfter(bufs, written);
    const { bytesWritten } = await handle.writev(rest, position + written);
    if (bytesWritten === 0) throw new Error(`writev wrote nothing at ${position + written}`);
    written += bytesWritten;
  }
}

/** Under an injected write fault: half of `buf` reaches the file, then the error (a disk filling up mid-write). */
async function injectedShortWrite(handle: FileHandle, buf: Buffer, position: number, file: string): Promise<void> {
  try {
    storageFaults.check('write', file);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOSPC' && buf.length > 1) await handle.write(buf, 0, buf.length >> 1, position);
    throw err;
  }
}

/** The bytes of `bufs` after the first `skip`, without copying. */
function remainingAfter(bufs: readonly Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  let left = skip;
  for (const buf of bufs) {
    if (left >= buf.length) {
      left -= buf.length;
      continue;
    }
    out.push(left > 0 ? buf.subarray(left) : buf);
    left = 0;
  }
  return out;
}
