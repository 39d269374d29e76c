/**
 * A consumer-group membership of one WebSocket connection (a `join` frame): a ServerSideMember
 * runs the member's side of the group protocol on the browser's behalf, and this class turns its
 * callbacks into deliveries and frames:
 *
 * - onAssigned: one feed per new partition from the committed offset (or the `from` reset policy
 *   when there is none or it left the log), then an `assigned` frame; records follow it.
 * - onRevoked: the feeds stop (nothing more of those partitions is sent), then a `revoked` frame
 *   with the next offset the client was sent, so it can commit before it forgets them.
 *
 * Commit fencing: a commit frame may carry the generation its records were delivered in. It is
 * accepted only for partitions this member has owned without interruption since that generation
 * (so a cooperative member that kept a partition across rebalances commits fine, while one that
 * lost it, even if it got it back later, is refused with ILLEGAL_GENERATION, as Kafka fences).
 */
import type { GroupErrorCode, MemberCoordinator, Scheduler, TopicPartition } from '@spool/coordinator';
import { ServerSideMember, topicPartitionKey } from '@spool/coordinator';
import type { JoinFrame, OffsetFrameEntry } from './ws-frames.js';

export interface MembershipHost {
  readonly clientHost: string;
  /** Starts delivering `partition` of `topic` for this membership; false if it could not (an error frame was sent). */
  startFeed(ownerId: string, topic: string, partition: number, committed: number | null, reset: 'earliest' | 'latest'): { offset: number } | null;
  /** Stops delivering; returns the next offset that would have been sent, or null if it was not delivered. */
  stopFeed(ownerId: string, topic: string, partition: number): number | null;
  sendFrame(frame: object): void;
  onFatal(id: string, code: GroupErrorCode): void;
}

export class WsMembership {
  readonly member: ServerSideMember;
  readonly sessionTimeoutMs: number;
  /** Generation from which each owned partition has been owned without interruption. */
  private readonly ownedSince = new Map<string, number>();

  constructor(
    coordinator: MemberCoordinator,
    scheduler: Scheduler,
    private readonly frame: JoinFrame,
    private readonly host: MembershipHost,
    timeouts: { sessionTimeoutMs: number; rebalanceTimeoutMs: number },
  ) {
    this.sessionTimeoutMs = timeouts.sessionTimeoutMs;
    this.member = new ServerSideMember(
      coordinator,
      scheduler,
      {
        groupId: frame.group,
        clientId: frame.clientId ?? 'spool-ws',
        clientHost: host.clientHost,
        topics: frame.topics,
        assignor: frame.assignor,
        sessionTimeoutMs: timeouts.sessionTimeoutMs,
        rebalanceTimeoutMs: timeouts.rebalanceTimeoutMs,
      },
      {
        onAssigned: (event) => this.onAssigned(event.generationId, event.partitions),
        onRevoked: (event) => this.onRevoked(event.generationId, event.partitions),
        onFatalError: (code) => this.host.onFatal(frame.id, code),
      },
    );
  }

  get id(): string {
    return this.frame.id;
  }

  get group(): string {
    return this.frame.group;
  }

  /**
   * ILLEGAL_GENERATION unless every offset is for a partition owned since `generationId` (or
   * earlier) and the generation is not from the future; null when the commit may go ahead.
   */
  fence(offsets: readonly OffsetFrameEntry[], generationId: number | undefined): GroupErrorCode | null {
    if (generationId === undefined) return null;
    if (generationId > this.member.generationId) return 'ILLEGAL_GENERATION';
    for (const o of offsets) {
      const since = this.ownedSince.get(topicPartitionKey(o.topic, o.partition));
      if (since === undefined || since > generationId) return 'ILLEGAL_GENERATION';
    }
    return null;
  }

  private onAssigned(generationId: number, partitions: readonly (TopicPartition & { committedOffset: number | null })[]): void {
    const started: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const p of partitions) {
      const feed = this.host.startFeed(this.frame.id, p.topic, p.partition, p.committedOffset, this.frame.from);
      if (feed === null) continue;
      this.ownedSince.set(topicPartitionKey(p.topic, p.partition), generationId);
      started.push({ topic: p.topic, partition: p.partition, offset: feed.offset });
    }
    this.host.sendFrame({ type: 'assigned', id: this.frame.id, group: this.frame.group, memberId: this.member.memberId, generationId, partitions: started });
  }

  private onRevoked(generationId: number, partitions: readonly TopicPartition[]): void {
    const revoked = partitions.map((p) => {
      this.ownedSince.delete(topicPartitionKey(p.topic, p.partition));
      return { topic: p.topic, partition: p.partition, offset: this.host.stopFeed(this.frame.id, p.topic, p.partition) };
    });
    this.host.sendFrame({ type: 'revoked', id: this.frame.id, group: this.frame.group, generationId, partitions: revoked });
  }
}
