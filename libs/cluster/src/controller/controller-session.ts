/**
 * One controller's term: from winning the election to losing it. Every metadata write of the
 * controller goes through `write()`, one etcd transaction whose first condition is that the
 * `controller` key still has the create revision this election gave it (the fencing token, as
 * Kafka's controller epoch zkVersion check). A deposed controller (its lease expired while it was
 * paused, or it was cut off) therefore cannot change anything, whatever it still believes: etcd
 * refuses the write, and the session ends ('fenced').
 *
 * `active` is the controller's own, earlier, check: false once the session ended or the broker's
 * lease is no longer certainly held (LeaseKeeper.validUntil), so a controller stops deciding
 * before etcd would refuse it. write() does not consult it: etcd is the judge.
 */
import type { Logger } from '@spool/common';
import type { EtcdCompare, EtcdConnection, EtcdOp } from '../etcd/etcd-connection.js';
import type { LeaseKeeper } from '../etcd/lease-keeper.js';
import { encodePartitionState, type ClusterKeys } from '../metadata-codec.js';
import type { PartitionState, PartitionStateFields } from '../metadata-types.js';

export type SessionEnd = 'fenced' | 'deposed' | 'lease-lost' | 'resigned' | 'stopped';

export type WriteOutcome = { readonly outcome: 'written'; readonly revision: number } | { readonly outcome: 'conflict' } | { readonly outcome: 'fenced' };

export class ControllerSession {
  private ended: SessionEnd | null = null;
  private readonly endListeners = new Set<(why: SessionEnd) => void>();

  constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: ClusterKeys,
    readonly brokerId: number,
    readonly controllerEpoch: number,
    /** The create revision of the `controller` key this election wrote. */
    readonly electionRevision: number,
    private readonly lease: LeaseKeeper,
    private readonly logger: Logger,
  ) {}

  /** Whether this broker should still act as controller (not ended, lease certainly held). */
  get active(): boolean {
    return this.ended === null && this.lease.isValid();
  }

  get endReason(): SessionEnd | null {
    return this.ended;
  }

  /** Ends the session once; listeners hear why. */
  end(why: SessionEnd): void {
    if (this.ended !== null) return;
    this.ended = why;
    this.logger.warn({ controllerEpoch: this.controllerEpoch, why }, 'controller session ended');
    for (const listener of this.endListeners) {
      try {
        listener(why);
      } catch (err) {
        this.logger.error({ err }, 'controller session listener failed');
      }
    }
  }

  onEnd(listener: (why: SessionEnd) => void): () => void {
    if (this.ended !== null) {
      listener(this.ended);
      return () => undefined;
    }
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /**
   * Runs `ops` in one transaction if this election still holds the `controller` key and
   * `compares` hold: 'written' (with the revision), 'conflict' (a compare other than ours
   * failed: re-read and decide again) or 'fenced' (we are no longer the controller; the session
   * ends). Throws EtcdCallError when etcd cannot be reached.
   */
  async write(compares: readonly EtcdCompare[], ops: readonly EtcdOp[]): Promise<WriteOutcome> {
    const controllerKey = this.keys.controller();
    const res = await this.conn.txn([{ key: controllerKey, target: 'createRevision', equals: this.electionRevision }, ...compares], ops, [{ get: controllerKey }]);
    if (res.succeeded) return { outcome: 'written', revision: res.revision };
    const holder = res.reads[0]?.[0];
    if (holder === undefined || holder.createRevision !== this.electionRevision) {
      this.logger.warn({ controllerEpoch: this.controllerEpoch, electionRevision: this.electionRevision, holderRevision: holder?.createRevision ?? null }, 'controller write refused by etcd: this controller was deposed');
      this.end('fenced');
      return { outcome: 'fenced' };
    }
    return { outcome: 'conflict' };
  }

  /** Replaces `previous` (by compare-and-swap on its mod revision) with `next`. */
  writePartition(previous: PartitionState, next: PartitionStateFields): Promise<WriteOutcome> {
    const key = this.keys.partition(previous.topic, previous.partition);
    return this.write([{ key, target: 'modRevision', equals: previous.modRevision }], [{ put: key, value: encodePartitionState(next) }]);
  }

  /** Creates a missing partition state of a topic that is still at `topicModRevision`. */
  createPartition(topic: string, partition: number, topicModRevision: number, fields: PartitionStateFields): Promise<WriteOutcome> {
    const key = this.keys.partition(topic, partition);
    return this.write(
      [
        { key: this.keys.topic(topic), target: 'modRevision', equals: topicModRevision },
        { key, target: 'version', equals: 0 },
      ],
      [{ put: key, value: encodePartitionState(fields) }],
    );
  }
}
