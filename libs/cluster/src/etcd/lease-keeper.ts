/**
 * Keeps one etcd lease alive, as a ZooKeeper session keeps a broker's ephemeral nodes: a
 * keep-alive every TTL/3 (the official Go client's cadence) on one LeaseKeepAlive stream,
 * reopened after errors.
 *
 * The holder must know when it may have lost the lease without waiting for etcd to say so (a
 * paused process, an unreachable etcd): `validUntil` is the send time of the last acknowledged
 * keep-alive plus the TTL etcd granted. etcd cannot have expired the lease before that instant
 * (it measures from when it received the keep-alive, which is later), so until then the holder
 * still owns its keys. At that instant the keeper reports the lease `expired` (it may still live
 * in etcd a little longer, but the holder must act as if it were gone); a keep-alive answered
 * with TTL 0 reports it `revoked` (etcd has deleted it). Either is reported once, and the keeper
 * stops: the holder grants a new lease.
 */
import type { Logger } from '@spool/common';
import type { EtcdConnection, KeepAliveStream } from './etcd-connection.js';
import { EtcdCallError } from './etcd-connection.js';

export type LeaseLoss = 'expired' | 'revoked';

export class LeaseKeeper {
  private stream: KeepAliveStream | null = null;
  private opening = false;
  /** Send times of keep-alives not yet answered, oldest first (etcd answers in order). */
  private pending: number[] = [];
  private validUntilMs: number;
  private tickTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lost: LeaseLoss | null = null;
  private readonly lossListeners = new Set<(loss: LeaseLoss) => void>();

  private constructor(
    private readonly conn: EtcdConnection,
    readonly id: string,
    readonly ttlMs: number,
    grantedAtMs: number,
    private readonly logger: Logger,
  ) {
    this.validUntilMs = grantedAtMs + ttlMs;
  }

  /** Grants a lease of `ttlMs` (rounded up to whole seconds, at least 1) and starts keeping it alive. */
  static async grant(conn: EtcdConnection, ttlMs: number, logger: Logger): Promise<LeaseKeeper> {
    const sentAt = Date.now();
    const { id, ttlSeconds } = await conn.leaseGrant(Math.max(1, Math.ceil(ttlMs / 1000)));
    const keeper = new LeaseKeeper(conn, id, ttlSeconds * 1000, sentAt, logger.child({ leaseId: id }));
    keeper.start();
    return keeper;
  }

  /** The instant until which this holder certainly owns the lease (see the file comment). */
  get validUntil(): number {
    return this.validUntilMs;
  }

  /** Whether the lease is still certainly held: not reported lost and not past validUntil. */
  isValid(now = Date.now()): boolean {
    return !this.stopped && now < this.validUntilMs;
  }

  /** Calls `listener` once when the lease is lost (at once if it already was); returns the unsubscribe function. */
  onLost(listener: (loss: LeaseLoss) => void): () => void {
    if (this.lost !== null) {
      listener(this.lost);
      return () => undefined;
    }
    this.lossListeners.add(listener);
    return () => this.lossListeners.delete(listener);
  }

  /** Stops renewing and revokes the lease, deleting its keys at once (a clean shutdown). */
  async revoke(): Promise<void> {
    this.stop();
    await this.conn.leaseRevoke(this.id);
  }

  /** Stops renewing without revoking: etcd expires the lease after its TTL. No loss is reported. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.closeStream();
  }

  private start(): void {
    this.armExpiry();
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    this.sendKeepAlive();
    this.tickTimer = setTimeout(() => this.tick(), Math.max(100, Math.floor(this.ttlMs / 3)));
  }

  private sendKeepAlive(): void {
    if (this.stream === null) {
      void this.openStream();
      return;
    }
    this.pending.push(Date.now());
    try {
      this.stream.write({ ID: this.id });
    } catch (err) {
      this.onStreamError(err);
    }
  }

  private async openStream(): Promise<void> {
    if (this.opening || this.stopped) return;
    this.opening = true;
    try {
      const stream = await this.conn.openKeepAlive();
      if (this.stopped) {
        stream.cancel();
        return;
      }
      this.stream = stream;
      this.pending = [];
      stream.on('data', (res) => this.onResponse(Number(res.TTL)));
      stream.on('error', (err) => this.onStreamError(err));
      stream.on('end', () => this.onStreamError(new Error('keep-alive stream ended')));
      this.sendKeepAlive();
    } catch (err) {
      this.logger.debug({ err: this.conn.describeError('lease keep-alive', err).message }, 'lease keep-alive stream could not open');
    } finally {
      this.opening = false;
    }
  }

  private onResponse(ttlSeconds: number): void {
    const sentAt = this.pending.shift();
    if (this.stopped) return;
    if (ttlSeconds <= 0) {
      this.lose('revoked');
      return;
    }
    if (sentAt !== undefined) {
      this.validUntilMs = Math.max(this.validUntilMs, sentAt + ttlSeconds * 1000);
      this.armExpiry();
    }
  }

  private onStreamError(err: unknown): void {
    if (this.stopped || this.stream === null) return;
    const failure = this.conn.describeError('lease keep-alive', err);
    this.logger.debug({ err: failure.message }, 'lease keep-alive stream failed; reopening');
    this.closeStream();
    if (failure instanceof EtcdCallError && failure.failure === 'lease-not-found') this.lose('revoked');
  }

  private closeStream(): void {
    const stream = this.stream;
    this.stream = null;
    this.pending = [];
    if (stream) {
      try {
        stream.cancel();
      } catch {
        // already gone
      }
    }
  }

  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => {
      if (!this.stopped && Date.now() >= this.validUntilMs) this.lose('expired');
      else this.armExpiry();
    }, Math.max(0, this.validUntilMs - Date.now()));
  }

  private lose(loss: LeaseLoss): void {
    if (this.stopped) return;
    this.lost = loss;
    this.stop();
    this.logger.warn({ loss, ttlMs: this.ttlMs }, loss === 'revoked' ? 'etcd lease is gone (revoked or expired in etcd)' : 'etcd lease not renewed within its TTL; treating it as lost');
    for (const listener of this.lossListeners) listener(loss);
  }
}
