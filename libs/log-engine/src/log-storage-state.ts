/**
 * Whether a partition log can be written, and if not why (Kafka marks the whole log directory
 * offline on an I/O error; Spool takes one log offline, the others keep serving).
 *
 * States and transitions:
 * - online: every operation allowed.
 *   - an I/O error during a write, truncation, rename or checkpoint -> offline (recoverable)
 *   - a failed fsync -> offline (fatal)
 *   - a segment file found deleted under the broker -> offline (fatal)
 *   - its log directory failed (the LogManager's probe of the directory, after an I/O error in
 *     any of its logs: log-dirs.ts) -> offline (recoverable, `log-dir-failed`)
 * - offline, recoverable: appends and every other mutation throw KAFKA_STORAGE_ERROR; reads of
 *   committed bytes still work (they only need the open file handles). The in-memory state is
 *   the last that was fully written (a failed write is cut back off the file), so once the
 *   directory takes writes again the log repairs its tail and comes back (Log.recoverStorage).
 *   - a successful recovery check -> online
 * - offline, fatal: as above, but never back online in this process. After a failed fsync the
 *   page cache may have dropped what it could not write and a later fsync may report success
 *   (the PostgreSQL fsync lesson): only a restart, which recovers the log from its last durable
 *   state (the recovery point), can be trusted. A deleted segment likewise needs a restart.
 */
import { isSpoolError, SpoolError, type Clock, type Logger } from '@spool/common';
import { isFsyncFailure } from './storage-io.js';

/** Stable words for why a log is offline, shown to operators (GET /v1/topics/{t}, logs). */
export type OfflineReason = 'write-failed' | 'fsync-failed' | 'segment-deleted' | 'log-dir-failed';

export interface LogOfflineState {
  readonly reason: OfflineReason;
  /** The error that took the log offline (names the file and the errno). */
  readonly message: string;
  /** Fatal: the log stays offline until the broker restarts. */
  readonly fatal: boolean;
  readonly sinceMs: number;
}

/** What the state needs from its Log. */
export interface LogStorageHost {
  closed(): boolean;
  /** Under the append lock: makes the directory and the active segment writable again, or throws (LocalLog.repairAfterStorageError). */
  repair(): Promise<void>;
  /** The path of a segment file gone from the directory, or null. */
  missingSegmentFile(): Promise<string | null>;
}

export class LogStorageState {
  private failure: SpoolError | null = null;
  private state: LogOfflineState | null = null;
  /** Called when the log goes offline by an I/O error of its own (the LogManager then probes its directory). */
  onFailure: (() => void) | null = null;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly host: LogStorageHost,
  ) {}

  private nowMs(): number {
    return this.clock.now();
  }

  /** Null while online. */
  get offline(): LogOfflineState | null {
    return this.state;
  }

  /** Throws the error that took the log offline, if it is offline. */
  ensureWritable(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Takes the log offline after an I/O error during `during`; returns the error to report (the first one, for every later call). */
  fail(err: unknown, during: string): SpoolError {
    if (this.failure === null) {
      const fsync = isFsyncFailure(err);
      const message = `log ${this.dir} is offline after a failed ${during}: ${(err as Error).message}`;
      this.failure = isSpoolError(err) && err.code === 'KAFKA_STORAGE_ERROR' ? err : new SpoolError('KAFKA_STORAGE_ERROR', message);
      this.state = { reason: fsync ? 'fsync-failed' : 'write-failed', message: this.failure.message, fatal: fsync, sinceMs: this.nowMs() };
      this.logger.error({ err, during, fatal: fsync }, fsync ? 'log taken offline by a failed fsync (until restart)' : 'log taken offline by an I/O error');
      this.onFailure?.();
    }
    return this.failure;
  }

  /**
   * Takes the log offline because its log directory failed (`message`: the directory's probe error),
   * unless it is offline already. Recoverable: once the directory is online again, the recovery check
   * brings the log back.
   */
  failDirectory(logDir: string, message: string): void {
    if (this.failure !== null) return;
    const text = `log ${this.dir} is offline: its log directory ${logDir} failed: ${message}`;
    this.failure = new SpoolError('KAFKA_STORAGE_ERROR', text, { logDir });
    this.state = { reason: 'log-dir-failed', message: text, fatal: false, sinceMs: this.nowMs() };
    this.logger.error({ logDir }, 'log taken offline with its failed log directory');
  }

  /**
   * The recovery check (LogManager runs it periodically for every offline log): unless the
   * failure was fatal, repairs the log (host.repair) and brings it back online. Resolves true if
   * the log is online afterwards. Safe to call concurrently with anything.
   */
  async recover(): Promise<boolean> {
    const state = this.state;
    if (state === null) return true;
    if (state.fatal || this.host.closed()) return false;
    try {
      await this.host.repair();
    } catch (err) {
      this.logger.debug({ err }, 'recovery check: the log directory still fails');
      return false;
    }
    if (this.state !== state) return this.state === null;
    this.clear();
    return true;
  }

  /** Takes the log offline (fatal) if one of its segment files is gone from the directory (deleted under the broker). */
  async checkSegmentFiles(): Promise<void> {
    if (this.host.closed() || this.state?.fatal === true) return;
    const missing = await this.host.missingSegmentFile();
    if (missing !== null && !this.host.closed()) this.segmentDeleted(missing);
  }

  /** A segment file is gone from the directory: fatal (its records are lost on the next restart). */
  private segmentDeleted(file: string): void {
    if (this.state?.fatal === true) return;
    const message = `log ${this.dir} is offline: segment file ${file} was deleted under the broker`;
    this.failure = new SpoolError('KAFKA_STORAGE_ERROR', message, { file });
    this.state = { reason: 'segment-deleted', message, fatal: true, sinceMs: this.nowMs() };
    this.logger.error({ file }, 'log taken offline: a segment file was deleted under the broker');
  }

  /** Back online after a recovery check (recoverable states only). */
  private clear(): void {
    if (this.state?.fatal === true) throw new SpoolError('KAFKA_STORAGE_ERROR', `log ${this.dir} cannot come back online before a restart: ${this.state.message}`);
    const was = this.state;
    this.failure = null;
    this.state = null;
    if (was !== null) this.logger.warn({ reason: was.reason, offlineMs: this.nowMs() - was.sinceMs }, 'log back online after a recovery check');
  }
}
